package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
)

var update = flag.Bool("update", false, "rewrite golden files")

// today is the date the sample tests run on, so that "in the past" findings
// do not drift with the calendar.
func today() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }

type finding struct {
	Row      int    `json:"row"`
	Cell     string `json:"cell"`
	Column   string `json:"column"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
}

// TestValidateErrorSamples runs validate on the three files of the errors
// sample, which hold the same rows, and compares every finding with the
// golden list.
func TestValidateErrorSamples(t *testing.T) {
	golden := filepath.Join("testdata", "validate", "q3-pipeline-errors.golden.json")
	for _, tc := range []struct {
		name  string
		file  string
		input importFlags
	}{
		{"xlsx", "q3-pipeline-errors.xlsx", importFlags{dateOrder: "mdy"}},
		{"csv", "q3-pipeline-errors.csv", importFlags{dateOrder: "mdy"}},
		{"european csv", "q3-pipeline-errors-eu.csv", importFlags{dateOrder: "dmy", decimalComma: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := validateOptions{
				file: filepath.Join("..", "..", "samples", tc.file), input: tc.input,
				format: "json", policy: policyFlags{now: today},
			}
			err := runValidate(context.Background(), opts, env{stdout: &out, stderr: &out})
			if !errors.Is(err, refbatch.ErrFindings) {
				t.Fatalf("err = %v, want findings (exit 1)", err)
			}
			var v struct {
				Summary  refbatch.Summary `json:"summary"`
				Findings []finding        `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			got, _ := json.MarshalIndent(v, "", "  ")
			if *update && tc.name == "xlsx" {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("findings differ from %s:\n%s", golden, got)
			}
		})
	}
}

// TestValidateCleanSample: the README's main sample, from the workbook and
// from the CSV, has no finding at all, with the built-in rules and with the
// team's rules of samples/rules, on the day the tests pretend it is and on
// the day before its first Expected Close Date.
func TestValidateCleanSample(t *testing.T) {
	lastClean := func() time.Time { return time.Date(2027, 9, 29, 17, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name, file, rules string
		now               func() time.Time
	}{
		{"xlsx", "q3-pipeline.xlsx", "", today},
		{"csv", "q3-pipeline.csv", "", today},
		{"xlsx with the team's rules", "q3-pipeline.xlsx", filepath.Join("..", "..", "samples", "rules", "custom-rules.yaml"), today},
		{"csv before the first close date", "q3-pipeline.csv", "", lastClean},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runValidate(context.Background(), validateOptions{
				file: filepath.Join("..", "..", "samples", tc.file), input: importFlags{dateOrder: "mdy"},
				format: "json", policy: policyFlags{rulesFile: tc.rules, now: tc.now},
			}, env{stdout: &out, stderr: &out})
			if err != nil {
				t.Fatalf("err = %v, want nil (exit 0)\n%s", err, out.String())
			}
			var v struct {
				Summary  refbatch.Summary   `json:"summary"`
				Findings []refbatch.Finding `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			if v.Summary.Rows != 16 || v.Summary.Valid != 16 || v.Summary.Errors != 0 || v.Summary.Warnings != 0 || len(v.Findings) != 0 {
				t.Errorf("summary %+v, findings %+v; want 16 valid rows and no finding", v.Summary, v.Findings)
			}
		})
	}
}

func TestValidateWritesReports(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join("..", "..", "samples", "q3-pipeline-errors.xlsx")
	for _, ext := range []string{".xlsx", ".csv", ".json"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(dir, "findings"+ext)
			var out bytes.Buffer
			err := runValidate(context.Background(), validateOptions{
				file: sample, report: path, format: "text", maxFindings: 3,
				input: importFlags{dateOrder: "mdy"}, policy: policyFlags{now: today},
			}, env{stdout: &out, stderr: &out})
			if !errors.Is(err, refbatch.ErrFindings) {
				t.Fatalf("err = %v", err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("report mode %v, want 0600", st.Mode().Perm())
			}
			text := out.String()
			for _, want := range []string{"38 rows, 24 valid, 16 errors, 2 warnings", "report written to " + path, "more findings not shown"} {
				if !strings.Contains(text, want) {
					t.Errorf("terminal output lacks %q:\n%s", want, text)
				}
			}
			switch ext {
			case ".json":
				var v struct {
					Summary  refbatch.Summary   `json:"summary"`
					Findings []refbatch.Finding `json:"findings"`
				}
				b, _ := os.ReadFile(path)
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				if v.Summary.Rows != 38 || len(v.Findings) != 18 || v.Findings[0].Rule != refbatch.RuleHeader {
					t.Errorf("json report: summary %+v, %d findings", v.Summary, len(v.Findings))
				}
			case ".xlsx":
				f, err := excelize.OpenFile(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				// The bad Deal Type stays in its own cell, D30, with its finding.
				if v, _ := f.GetCellValue("Report", "D30"); v != "Co-Sel" {
					t.Errorf("Report!D30 = %q, want the input's Co-Sel", v)
				}
				if v, _ := f.GetCellValue("Report", "A5"); v != "CRM-24001" {
					t.Errorf("Report!A5 = %q, want CRM-24001", v)
				}
			}
		})
	}
}

func TestValidateExitCodes(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("rules:\n  - id: mine\n    check: DealValue >\n    message: x\n"), 0o644)
	fake := filepath.Join(dir, "pipeline.xlsx")
	os.WriteFile(fake, []byte("Name,Customer Name,Deal Value\nA,B,1\n"), 0o644)
	sample := filepath.Join("..", "..", "samples", "q3-pipeline-errors.csv")
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stderrs []string
	}{
		{"findings", []string{"validate", sample}, exitFindings, nil},
		{"help", []string{"validate", "--help"}, exitOK, []string{"--report"}},
		{"no file", []string{"validate"}, exitUsage, []string{"missing input file"}},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.csv")}, exitUsage, []string{"nope.csv"}},
		{"unknown flag", []string{"validate", "--frobnicate", sample}, exitUsage, []string{"frobnicate"}},
		{"bad report extension", []string{"validate", sample, "--report", "out.pdf"}, exitUsage, []string{"out.pdf"}},
		{"rules do not compile", []string{"validate", sample, "--rules", broken}, exitUsage, []string{"broken.yaml", "mine", "3:"}},
		{"xlsx that is CSV", []string{"validate", fake}, exitUsage, []string{"pipeline.xlsx"}},
		{"report over the input", []string{"validate", sample, "--report", sample}, exitUsage, []string{"is the input file"}},
		{"unknown command", []string{"frobnicate"}, exitUsage, []string{"unknown command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			before, _ := os.ReadFile(sample)
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if after, _ := os.ReadFile(sample); string(after) != string(before) {
				t.Fatalf("the sample input was changed")
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stderrs {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q: %s", want, stderr.String())
				}
			}
		})
	}
}
