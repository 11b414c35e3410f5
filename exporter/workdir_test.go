package exporter

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// TestWorkDirHoldsTemporaryFiles: while a report is written, its temporary
// files are in the private directory beside it (0700), none in $TMPDIR;
// Close and Abort leave nothing but the report.
func TestWorkDirHoldsTemporaryFiles(t *testing.T) {
	tc := basicCase()
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		for _, abort := range []bool{false, true} {
			t.Run(ext+map[bool]string{false: "/close", true: "/abort"}[abort], func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				dir := t.TempDir()
				path := filepath.Join(dir, "report"+ext)
				r, err := NewReport(path, tc.header)
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range tc.rows {
					if err := r.WriteRow(in.row, in.findings); err != nil {
						t.Fatal(err)
					}
				}
				wd := filepath.Join(dir, ".report"+ext+".refbatch-tmp")
				st, err := os.Stat(wd)
				if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
					t.Fatalf("work dir %v, %v; want a 0700 directory", st, err)
				}
				entries, _ := os.ReadDir(wd)
				for _, e := range entries {
					if info, err := e.Info(); err == nil && info.Mode().Perm() != 0o600 {
						t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
					}
				}
				if abort {
					err = r.Abort()
				} else {
					err = r.Close(tc.summary(), tc.extra)
				}
				if err != nil {
					t.Fatal(err)
				}
				want := []string{"report" + ext}
				if abort {
					want = nil
				}
				if names := dirNames(t, dir); !slices.Equal(names, want) {
					t.Errorf("directory holds %v, want %v", names, want)
				}
				if names := dirNames(t, tmp); len(names) != 0 {
					t.Errorf("$TMPDIR holds %v", names)
				}
			})
		}
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	return cmd.Process.Pid
}

// TestStaleWorkDirRemoved: the directory a killed write left (its process
// gone, or older than an hour) is removed by the next write; a live one, or
// a directory refbatch did not make, stops it.
func TestStaleWorkDirRemoved(t *testing.T) {
	tc := cleanCase()
	host, _ := os.Hostname()
	for _, c := range []struct {
		name    string
		owner   string // "" for none
		extra   bool   // a file beside the owner file
		old     bool
		wantErr string
	}{
		{name: "killed", owner: "refbatch " + strconv.Itoa(deadPID(t)) + " " + host, extra: true},
		{name: "old, other host", owner: "refbatch 1 elsewhere", extra: true, old: true},
		{name: "empty", owner: ""},
		{name: "live", owner: "refbatch " + strconv.Itoa(os.Getpid()) + " " + host, extra: true, wantErr: "another refbatch"},
		{name: "recent, other host", owner: "refbatch 1 elsewhere", extra: true, wantErr: "another refbatch"},
		{name: "not ours", owner: "", extra: true, wantErr: "not refbatch's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.xlsx")
			wd := workDirName(path)
			if err := os.Mkdir(wd, 0o700); err != nil {
				t.Fatal(err)
			}
			if c.owner != "" {
				os.WriteFile(filepath.Join(wd, ownerFile), []byte(c.owner+"\n"), 0o600)
			}
			if c.extra {
				os.WriteFile(filepath.Join(wd, "excelize-123"), []byte("Contoso, anna@contoso.com"), 0o600)
			}
			if c.old {
				past := time.Now().Add(-2 * time.Hour)
				os.Chtimes(wd, past, past)
			}
			r, err := NewReport(path, tc.header)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("NewReport: %v, want an error saying %q", err, c.wantErr)
				}
				if _, err := os.Stat(filepath.Join(wd, "excelize-123")); err != nil {
					t.Errorf("the directory was touched: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(wd, "excelize-123")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale file still there: %v", err)
			}
			if err := r.Close(tc.summary(), nil); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"report.xlsx"}) {
				t.Errorf("directory holds %v", names)
			}
		})
	}
}

// TestTitleRowsWrittenBack: the rows above the header are in the report
// and the results at their own rows, as text.
func TestTitleRowsWrittenBack(t *testing.T) {
	h := testHeader("in/titled.xlsx", 4, "Name", "Customer Name", "Deal Value")
	h.TitleRows = []refbatch.TitleRow{
		{Number: 1, Cells: []string{"Q3 pipeline: Contoso EMEA"}},
		{Number: 2, Cells: []string{"exported 2026-06-30", "", "=cmd"}},
	}
	row := newRow(h, 5, "Deal", "Contoso", "30000")
	dir := t.TempDir()

	report := filepath.Join(dir, "report.xlsx")
	r, err := NewReport(report, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteRow(row, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(refbatch.Summary{Rows: 1, Valid: 1}, nil); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.xlsx")
	res, err := NewResults(results, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.WriteRow(row, RowResult{Outcome: refbatch.OutcomeCreated}); err != nil {
		t.Fatal(err)
	}
	if err := res.Close(nil); err != nil {
		t.Fatal(err)
	}
	for path, sheet := range map[string]string{report: SheetReport, results: SheetResults} {
		f := openXLSX(t, path)
		for cell, want := range map[string]string{"A1": "Q3 pipeline: Contoso EMEA", "A2": "exported 2026-06-30", "B2": "", "C2": "=cmd", "A3": "", "A4": "Name", "A5": "Deal"} {
			if got := cellValue(t, f, sheet, cell); got != want {
				t.Errorf("%s %s = %q, want %q", filepath.Base(path), cell, got, want)
			}
		}
		if formula, _ := f.GetCellFormula(sheet, "C2"); formula != "" {
			t.Errorf("%s C2 is a formula %q", filepath.Base(path), formula)
		}
	}
}

// TestCheckReplace: an output replaces a file only when refbatch wrote it
// (a report or results export), or with force.
func TestCheckReplace(t *testing.T) {
	dir := t.TempDir()
	tc := basicCase()
	own := []string{
		writeReport(t, tc, dir, FormatXLSX), writeReport(t, tc, dir, FormatCSV), writeReport(t, tc, dir, FormatJSON),
	}
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		path := filepath.Join(dir, "results"+ext)
		res, err := NewResults(path, tc.header)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Close(map[refbatch.Outcome]int{}); err != nil {
			t.Fatal(err)
		}
		own = append(own, path)
	}
	for _, p := range own {
		if err := CheckReplace(p, false); err != nil {
			t.Errorf("%s: %v; want it replaceable", filepath.Base(p), err)
		}
	}

	theirs := map[string][]byte{
		"pipeline.csv":   []byte("\ufeffName,Customer Name,Deal Value\nDeal,Contoso,1\n"),
		"notes.json":     []byte(`{"summary": "mine", "notes": []}`),
		"findings.json":  []byte(`{"findings": [], "summary": {}}`),
		"garbage.xlsx":   []byte("not a zip"),
		"noheader.csv":   []byte("row,cell,column,header,rule,severity,message,value\n"),
		"empty.json":     nil,
		"something.json": []byte(`[1,2]`),
	}
	for name, data := range theirs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A salesperson's own workbook, and the template (filled in by people).
	book := excelize.NewFile()
	book.SetCellValue("Sheet1", "A1", "my pipeline")
	if err := book.SaveAs(filepath.Join(dir, "mine.xlsx")); err != nil {
		t.Fatal(err)
	}
	if err := WriteTemplate(filepath.Join(dir, "template.xlsx"), TemplateOptions{Rows: 5}); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(sortedKeys(theirs), "mine.xlsx", "template.xlsx") {
		p := filepath.Join(dir, name)
		err := CheckReplace(p, false)
		if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("%s: %v; want a usage error naming --force", name, err)
		}
		if err := CheckReplace(p, true); err != nil {
			t.Errorf("%s with force: %v", name, err)
		}
	}
	if err := CheckReplace(filepath.Join(dir, "new.xlsx"), false); err != nil {
		t.Errorf("absent file: %v", err)
	}
	if err := CheckReplace(dir, true); err == nil {
		t.Error("a directory is replaceable")
	}
}

// TestReportIntoAMissingFolder: a report named in a folder that does not
// exist yet (the README's samples/.refbatch/findings.xlsx before any run)
// is written, the folder made private.
func TestReportIntoAMissingFolder(t *testing.T) {
	tc := basicCase()
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		dir := filepath.Join(t.TempDir(), "samples", ".refbatch")
		path := filepath.Join(dir, "findings"+ext)
		r, err := NewReport(path, tc.header)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		for _, in := range tc.rows {
			if err := r.WriteRow(in.row, in.findings); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(tc.summary(), tc.extra); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", ext, err)
		}
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: folder %v, %v; want 0700", ext, st, err)
		}
	}
}
