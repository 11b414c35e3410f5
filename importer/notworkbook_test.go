package importer

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotAnExcelWorkbook: a zip that is not an Excel workbook is named for
// what it is, with how to make it one.
func TestNotAnExcelWorkbook(t *testing.T) {
	for _, tc := range []struct {
		file  string
		parts []string
		want  string
	}{
		{"pipeline.ods", []string{"mimetype", "content.xml", "styles.xml"}, "is an OpenDocument file (.ods, LibreOffice or OpenOffice Calc), not an Excel workbook: open it and save it as an Excel Workbook (.xlsx) or as CSV UTF-8"},
		{"pipeline.numbers", []string{"Index/Document.iwa", "Metadata/Properties.plist"}, "is an Apple Numbers document, not an Excel workbook: open it and save it as an Excel Workbook (.xlsx) or as CSV UTF-8"},
		{"pipeline.docx", []string{"[Content_Types].xml", "word/document.xml"}, "is a Word document"},
		{"pipeline.pptx", []string{"[Content_Types].xml", "ppt/presentation.xml"}, "is a PowerPoint presentation"},
		{"pipeline.xlsx", []string{"[Content_Types].xml", "docProps/app.xml"}, "has no xl/workbook.xml): open it and save it as an Excel Workbook"},
	} {
		path := filepath.Join(t.TempDir(), tc.file)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for _, p := range tc.parts {
			w, _ := zw.Create(p)
			w.Write([]byte("<x/>"))
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = Open(context.Background(), path, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Word or PowerPoint") {
			t.Errorf("%s: %v\nwant it to say %q", tc.file, err, tc.want)
		}
	}
}
