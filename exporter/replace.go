package exporter

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/refbatch/refbatch"
)

// CheckReplace says whether an output may be written at path: yes when
// nothing is there, when force is set, or when the file there is a report
// or results export refbatch wrote (Replaceable); otherwise an error
// wrapping refbatch.ErrUsage that says --force replaces it. A salesperson's
// own workbook given as --report by mistake is thus never lost.
func CheckReplace(path string, force bool) error {
	st, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return err
	case st.IsDir():
		return fmt.Errorf("%w: %s is a directory", refbatch.ErrUsage, path)
	case force:
		return nil
	}
	if Replaceable(path) {
		return nil
	}
	return fmt.Errorf("%w: %s exists and is not a report or export refbatch wrote: refusing to replace it (--force replaces it)", refbatch.ErrUsage, path)
}

// Replaceable reports whether the file at path is a report or results
// export refbatch wrote, recognised from what every one of them carries,
// reading a bounded prefix:
//
//   - .xlsx: the document property Category "refbatch report" or "refbatch
//     results" (docProps/core.xml; Excel keeps it on save);
//   - .csv: a byte order mark, then the report's exact header line, or a
//     header line that ends with the six result columns;
//   - .json: an object whose first key is "summary" and second "findings"
//     (report) or "rows" (results).
//
// The template is not replaceable: it is what people fill in.
func Replaceable(path string) bool {
	format, err := outputFormat("output", path)
	if err != nil {
		return false
	}
	switch format {
	case FormatXLSX:
		return isOwnWorkbook(path)
	case FormatCSV:
		return isOwnCSV(path)
	case FormatJSON:
		return isOwnJSON(path)
	}
	return false
}

// replaceProbeLimit bounds what Replaceable reads of a file part.
const replaceProbeLimit = 1 << 20

func isOwnWorkbook(path string) bool {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "docProps/core.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false
		}
		defer rc.Close()
		var core struct {
			Category string `xml:"category"`
		}
		if err := xml.NewDecoder(io.LimitReader(rc, replaceProbeLimit)).Decode(&core); err != nil {
			return false
		}
		c := strings.TrimSpace(core.Category)
		return c == categoryReport || c == categoryResults
	}
	return false
}

func isOwnCSV(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, replaceProbeLimit))
	bom, _ := br.Peek(3)
	if !bytes.Equal(bom, []byte("\ufeff")) {
		return false
	}
	_, _ = br.Discard(3)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return false
	}
	if slices.Equal(head, csvHeader) {
		return true
	}
	n := len(resultHeaders)
	return len(head) >= n && slices.Equal(head[len(head)-n:], resultHeaders[:])
}

func isOwnJSON(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, replaceProbeLimit))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	if tok, err := dec.Token(); err != nil || tok != "summary" {
		return false
	}
	var summary map[string]json.RawMessage
	if err := dec.Decode(&summary); err != nil {
		return false
	}
	tok, err := dec.Token()
	return err == nil && (tok == "findings" || tok == "rows")
}
