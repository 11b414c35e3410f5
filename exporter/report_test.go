package exporter

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
)

func TestTextReportsGolden(t *testing.T) {
	for _, tc := range []testCase{basicCase(), cleanCase(), emptyCase()} {
		for _, ext := range []string{FormatJSON, FormatCSV} {
			t.Run(tc.name+ext, func(t *testing.T) {
				dir := t.TempDir()
				got, err := os.ReadFile(writeReport(t, tc, dir, ext))
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, got, filepath.Join("testdata", tc.name, "report"+ext))
				if names := dirNames(t, dir); !slices.Equal(names, []string{"report" + ext}) {
					t.Errorf("directory holds %v, want only the report", names)
				}
			})
		}
	}
}

func TestJSONReportShape(t *testing.T) {
	tc := basicCase()
	data, err := os.ReadFile(writeReport(t, tc, t.TempDir(), FormatJSON))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary  refbatch.Summary   `json:"summary"`
		Findings []refbatch.Finding `json:"findings"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Summary, tc.summary()) {
		t.Errorf("summary = %+v, want %+v", got.Summary, tc.summary())
	}
	if !reflect.DeepEqual(got.Findings, tc.allFindings()) {
		t.Errorf("findings = %+v\nwant %+v", got.Findings, tc.allFindings())
	}
	if !slices.IsSortedFunc(got.Findings, func(a, b refbatch.Finding) int { return a.Row - b.Row }) {
		t.Error("findings not in row order")
	}
	// Exactly the keys SPEC §8 names.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	if keys := sortedKeys(top); !slices.Equal(keys, []string{"findings", "summary"}) {
		t.Errorf("top-level keys %v", keys)
	}
	var summary map[string]json.RawMessage
	_ = json.Unmarshal(top["summary"], &summary)
	if keys := sortedKeys(summary); !slices.Equal(keys, []string{"byRule", "errors", "rows", "valid", "warnings"}) {
		t.Errorf("summary keys %v", keys)
	}
	var findings []map[string]json.RawMessage
	_ = json.Unmarshal(top["findings"], &findings)
	if keys := sortedKeys(findings[0]); !slices.Equal(keys, []string{"cell", "column", "header", "message", "row", "rule", "severity", "value"}) {
		t.Errorf("finding keys %v", keys)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestCSVReportNeutralisesInjection(t *testing.T) {
	tc := basicCase()
	f, err := os.Open(writeReport(t, tc, t.TempDir(), FormatCSV))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(strings.Join(recs[0], ","), "\ufeff"); got != "row,cell,column,header,rule,severity,message,value" {
		t.Errorf("header line %q", got)
	}
	want := tc.allFindings()
	if len(recs)-1 != len(want) {
		t.Fatalf("%d lines, want %d", len(recs)-1, len(want))
	}
	for i, rec := range recs[1:] {
		for j, field := range rec {
			if field != "" && strings.ContainsRune("=+-@\t\r", rune(field[0])) {
				t.Errorf("line %d field %d %q starts with a formula trigger", i+2, j, field)
			}
		}
	}
	// The formula value and the message quoting it keep their text behind
	// the apostrophe.
	line := recs[1+slices.IndexFunc(want, func(f refbatch.Finding) bool { return f.Value == "=1+2" })]
	if line[7] != "'=1+2" || line[6] != "'=1+2 is not a known Currency" {
		t.Errorf("formula value line = %q", line)
	}
}

func TestNeutralizeCSV(t *testing.T) {
	for in, want := range map[string]string{
		"=1+2": "'=1+2", "+1": "'+1", "-5": "'-5", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "plain": "plain", "a=b": "a=b", " =x": " =x",
	} {
		if got := NeutralizeCSV(in); got != want {
			t.Errorf("NeutralizeCSV(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReportFormat(t *testing.T) {
	for _, tc := range []struct {
		path, want string
		usage      bool
	}{
		{"out.xlsx", FormatXLSX, false},
		{"OUT.JSON", FormatJSON, false},
		{"dir.v2/out.csv", FormatCSV, false},
		{"out.xls", "", true},
		{"out.txt", "", true},
		{"out", "", true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := ReportFormat(tc.path)
			if got != tc.want || (err != nil) != tc.usage || (tc.usage && !errors.Is(err, refbatch.ErrUsage)) {
				t.Errorf("ReportFormat(%q) = %q, %v", tc.path, got, err)
			}
			if tc.usage {
				dir := t.TempDir()
				if _, err := NewReport(filepath.Join(dir, tc.path), testHeader("x", 1, "Name")); !errors.Is(err, refbatch.ErrUsage) {
					t.Errorf("NewReport: %v, want a usage error", err)
				}
				if names := dirNames(t, dir); len(names) != 0 {
					t.Errorf("left %v", names)
				}
			}
		})
	}
}

func TestReportAbortLeavesNothing(t *testing.T) {
	tc := basicCase()
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report"+ext)
			// An older report at the path survives an aborted new one.
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := NewReport(path, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range tc.rows {
				if err := r.WriteRow(in.row, in.findings); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Abort(); err != nil {
				t.Fatal(err)
			}
			if err := r.Abort(); err != nil {
				t.Errorf("second Abort: %v", err)
			}
			if err := r.Close(tc.summary(), nil); err == nil {
				t.Error("Close after Abort succeeded")
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"report" + ext}) {
				t.Errorf("directory holds %v", names)
			}
			if data, _ := os.ReadFile(path); string(data) != "old" {
				t.Errorf("old report replaced by %q", data)
			}
		})
	}
}

func TestReportRowsInFileOrder(t *testing.T) {
	for _, ext := range []string{FormatXLSX, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			h := testHeader("x", 3, "Name")
			r, err := NewReport(filepath.Join(dir, "r"+ext), h)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.WriteRow(newRow(h, 3, "header row"), nil); err == nil {
				t.Error("row at the header's number accepted")
			}
			// A failed write aborts: the report is gone.
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("after a failed WriteRow the directory holds %v", names)
			}
			if err := r.WriteRow(newRow(h, 5, "x"), nil); err == nil {
				t.Error("WriteRow after a failure succeeded")
			}
		})
	}
	dir := t.TempDir()
	h := testHeader("x", 1, "Name")
	r, err := NewReport(filepath.Join(dir, "r.csv"), h)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteRow(newRow(h, 5, "x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteRow(newRow(h, 4, "y"), nil); err == nil {
		t.Error("row 4 after row 5 accepted")
	}
}

func TestReportFileMode(t *testing.T) {
	for _, ext := range []string{FormatXLSX, FormatCSV, FormatJSON} {
		t.Run(ext, func(t *testing.T) {
			path := writeReport(t, basicCase(), t.TempDir(), ext)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}
