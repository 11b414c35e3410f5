package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateFiscalYear: a second fiscal year's Solution Area/Play table in
// a --tables directory (a made-up FY26 one beside the built-in FY24 table)
// is picked by --fiscal-year, or, without it, by each row's Closing Date.
func TestValidateFiscalYear(t *testing.T) {
	tables := filepath.Join("..", "..", "rules", "testdata", "tables", "fiscal-years")
	dir := t.TempDir()
	file := func(name, area, play string, closing time.Time) string {
		rows := pipelineRows(1)
		rows[0] = append(rows[0], "Solution Area", "Solution Play")
		rows[1][9] = closing
		rows[1] = append(rows[1], area, play)
		path := filepath.Join(dir, name)
		writePipelineCSV(t, path, rows)
		return path
	}
	fy26 := file("fy26.csv", "Test Area Alpha", "Test Play Two", time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC))         // FY27
	fy24 := file("fy24.csv", "Infrastructure", "Migrate SAP", time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC))           // FY27
	fy24early := file("fy24-early.csv", "Infrastructure", "Migrate SAP", time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)) // FY25
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // when the code is exitFindings
	}{
		{"--fiscal-year FY26 picks the directory's table", []string{fy26, "--tables", tables, "--fiscal-year", "FY26"}, exitOK, ""},
		{"--fiscal-year 2024 picks the built-in table", []string{fy26, "--tables", tables, "--fiscal-year", "2024"}, exitFindings, `Solution Area "Test Area Alpha" is not in the solution areas table`},
		{"FY24's play under FY26", []string{fy24, "--tables", tables, "--fiscal-year", "26"}, exitFindings, `Solution Play "Migrate SAP" is not in the solution plays table`},
		{"a FY27 row: the newest table, FY26", []string{fy26, "--tables", tables}, exitOK, ""},
		{"a FY27 row with FY24's play", []string{fy24, "--tables", tables}, exitFindings, `Solution Area "Infrastructure" is not in the solution areas table`},
		{"a FY25 row: FY24's table", []string{fy24early, "--tables", tables, "--today", "2025-06-01"}, exitOK, ""},
		{"built-in tables only: FY24's for every year", []string{fy24, "--fiscal-year", "FY26"}, exitOK, ""},
		{"built-in tables only: no FY26 play", []string{fy26}, exitFindings, `Solution Area "Test Area Alpha" is not in the solution areas table`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"validate", "--today", "2026-11-21"}, tc.args...)
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.stdout, stdout.String(), stderr.String())
			}
		})
	}
	t.Run("a year that is not one", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"validate", fy26, "--fiscal-year", "next"}, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "want FY26, 26 or 2026") {
			t.Errorf("exit %d, stderr %s", code, stderr.String())
		}
	})
}
