package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

// sampleExported is the day samples/q3-pipeline.xlsx says (row 2) it was
// exported: the README runs it as of that day.
const sampleExported = "2026-11-20"

func TestSampleSaysWhenItWasExported(t *testing.T) {
	f, err := excelize.OpenFile(filepath.Join("..", "..", "samples", "q3-pipeline.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	note, err := f.GetCellValue("Pipeline", "A2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "Exported from CRM on "+sampleExported) {
		t.Fatalf("row 2 is %q; the README's --today %s is the day it names", note, sampleExported)
	}
}

func TestAsOf(t *testing.T) {
	base := time.Date(2031, 7, 4, 22, 30, 0, 0, time.UTC)
	tick := base
	clock := func() time.Time { return tick }
	now, err := asOf("2026-11-20", clock)
	if err != nil {
		t.Fatal(err)
	}
	if got := now(); !got.Equal(time.Date(2026, 11, 20, 22, 30, 0, 0, time.UTC)) {
		t.Fatalf("as of 2026-11-20 at 22:30 the clock says %v", got)
	}
	tick = tick.Add(3 * time.Hour) // the clock keeps ticking, into the next day
	if got := now(); !got.Equal(time.Date(2026, 11, 21, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("3 h later the clock says %v", got)
	}
	if same, _ := asOf("", clock); !same().Equal(tick) {
		t.Fatalf("without --today the clock is not the calendar's")
	}
	if _, err := asOf("20/11/2026", clock); !errors.Is(err, refbatch.ErrUsage) {
		t.Fatalf("a bad date: %v, want a usage error", err)
	}
}

func TestTodayFlagAndEnvironment(t *testing.T) {
	env := func(v string) env {
		return env{getenv: func(k string) string {
			if k == todayEnv {
				return v
			}
			return ""
		}}
	}
	for _, tc := range []struct {
		flag, env, want, wantErr string
	}{
		{"", "", "", ""},
		{"2026-11-20", "", "2026-11-20", ""},
		{"", "2027-02-01", "2027-02-01", ""},
		{"2026-11-20", "2027-02-01", "2026-11-20", ""}, // the flag wins
		{"2026-11-31", "", "", `--today "2026-11-31" is not a date`},
		{"", "tomorrow", "", `REFBATCH_TODAY "tomorrow" is not a date`},
	} {
		got, err := todayFlag{value: tc.flag}.resolve(env(tc.env))
		if tc.wantErr != "" {
			if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("--today %q, env %q: %v, want a usage error saying %q", tc.flag, tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("--today %q, env %q: %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
}

// TestReadmeSampleOnAnyDate runs the README's main command (run --sandbox
// --today 2026-11-20 samples/q3-pipeline.xlsx) on three calendars: today's,
// a year ahead and ten years ahead. --today sets the date of the rules and
// of the embedded sandbox (which checks the contract dates of a deal
// registration by its own clock) alike, so every row loads and both deal
// registrations register whatever the calendar says. Without --today, a
// year ahead, the two registrations are refused: the dates are really
// checked.
func TestReadmeSampleOnAnyDate(t *testing.T) {
	real := time.Now()
	for _, tc := range []struct {
		name  string
		now   func() time.Time
		today string
		ok    bool
	}{
		{"today", time.Now, sampleExported, true},
		{"a year ahead", func() time.Time { return time.Now().AddDate(1, 0, 0) }, sampleExported, true},
		{"ten years ahead", func() time.Time { return time.Now().AddDate(10, 0, 0) }, sampleExported, true},
		{"a year ahead without --today", func() time.Time { return time.Now().AddDate(1, 0, 0) }, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.now().Before(real) {
				t.Fatal("the clock went back")
			}
			dir := t.TempDir()
			input := filepath.Join(dir, "q3-pipeline.xlsx")
			copyFile(t, filepath.Join("..", "..", "samples", "q3-pipeline.xlsx"), input)
			var out bytes.Buffer
			err := runRun(context.Background(), runOptions{
				file: input, sandbox: true, today: tc.today, now: tc.now,
				input: importFlags{dateOrder: "mdy"},
				exec:  execFlags{concurrency: batch.DefaultConcurrency, logFormat: "text", quiet: true},
			}, env{stdout: &out, stderr: &out})
			if !tc.ok {
				if !errors.Is(err, refbatch.ErrFindings) || !strings.Contains(out.String(), "more than 60 days ago") {
					t.Fatalf("err = %v, want the registrations refused as signed more than 60 days ago:\n%s", err, out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want exit 0\n%s", err, out.String())
			}
			for _, want := range []string{"16 rows, 16 valid, 0 errors, 2 warnings", "7 created, 4 linked, 3 updated, 2 registered"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestTodayIsForRehearsals: a run against Partner Center refuses --today
// (and REFBATCH_TODAY) before anything is opened or sent; a sandbox on this
// machine takes it.
func TestTodayIsForRehearsals(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	writeCSV(t, input, [][]string{{"CRM ID", "Opportunity Name", "Deal Type"}, smallCreate("X-1")})
	for _, endpoint := range []string{"", "https://api.partner.microsoft.com", "http://partner.example:8765"} {
		var out bytes.Buffer
		err := runRun(context.Background(), runOptions{file: input, today: sampleExported,
			exec: execFlags{endpoint: endpoint, concurrency: 1, logFormat: "text", quiet: true, journal: filepath.Join(dir, "j.db")}},
			env{stdout: &out, stderr: &out})
		if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), "Partner Center checks dates by its own calendar") {
			t.Errorf("run --endpoint %q --today: %v, want a usage error", endpoint, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "j.db")); err == nil {
		t.Errorf("a refused run created its journal")
	}
	if err := todayNeedsSandbox(sampleExported, false, "http://127.0.0.1:8765"); err != nil {
		t.Errorf("a sandbox on loopback: %v", err)
	}
}

// TestTodayReachesTheSandbox: a deal registration signed on 2031-05-01,
// rehearsed as of 2031-05-10, registers: the rules and the embedded
// sandbox (which refuses a contract signed "in the future" by its own
// clock) both take --today. Without it the rules refuse the row.
func TestTodayReachesTheSandbox(t *testing.T) {
	header := []string{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency",
		"Close Date", "Contact First Name", "Contact Last Name", "Contact Email", "Solution ID", "Assistance Request Code",
		"Register Deal", "Customer Managed", "Microsoft Referral Status", "Contract Value", "Contract Currency",
		"Contract Term", "Contract Sign Date", "Contract Start Date", "Contract End Date", "Pricing Model",
		"Primary Deployment On", "Deployed On Azure"}
	row := []string{"FUT-1", "Future deal", "Co-sell", "Contoso", "US", "90000", "USD",
		"2031-09-30", "Ana", "Bauer", "ana@contoso.com", "SOL-34104-EBB", "ProofOfConceptOrDemo",
		"yes", "yes", "Accepted", "90000", "USD", "Finite", "2031-05-01", "2031-05-05", "2032-05-04", "Other", "Partner", "yes"}
	for _, tc := range []struct {
		name  string
		today string
		want  error
	}{
		{"as of 2031-05-10", "2031-05-10", nil},
		{"as of the calendar's today", "", refbatch.ErrFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			input := filepath.Join(dir, "future.csv")
			writeCSV(t, input, [][]string{header, row})
			var out bytes.Buffer
			err := runRun(context.Background(), runOptions{file: input, sandbox: true, today: tc.today,
				input: importFlags{dateOrder: "mdy"},
				exec:  execFlags{concurrency: 2, logFormat: "text", quiet: true}}, env{stdout: &out, stderr: &out})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v\n%s", err, tc.want, out.String())
			}
			if tc.want == nil && !strings.Contains(out.String(), "1 registered") {
				t.Errorf("the deal was not registered:\n%s", out.String())
			}
		})
	}
}

// TestTodayWithASandboxOnThisMachine: refbatch sandbox --today and run
// --endpoint (loopback) --today rehearse the same deal registration as the
// embedded sandbox does.
func TestTodayWithASandboxOnThisMachine(t *testing.T) {
	base, stdout, _ := startSandboxCmd(t, "--today", "2031-05-10", "--accept-after", "200ms")
	if !strings.Contains(stdout.String(), "its calendar says 2031-05-10") {
		t.Errorf("the sandbox does not say its date: %q", stdout.String())
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "future.csv")
	writeCSV(t, input, [][]string{
		{"CRM ID", "Opportunity Name", "Deal Type", "Account Name", "Country", "Amount", "Currency",
			"Close Date", "Contact First Name", "Contact Last Name", "Contact Email", "Solution ID", "Assistance Request Code",
			"Register Deal", "Customer Managed", "Microsoft Referral Status", "Contract Value", "Contract Currency",
			"Contract Term", "Contract Sign Date", "Contract Start Date", "Contract End Date", "Pricing Model",
			"Primary Deployment On", "Deployed On Azure"},
		{"FUT-2", "Future deal", "Co-sell", "Contoso", "US", "90000", "USD",
			"2031-09-30", "Ana", "Bauer", "ana@contoso.com", "SOL-34104-EBB", "ProofOfConceptOrDemo",
			"yes", "yes", "Accepted", "90000", "USD", "Finite", "2031-05-01", "2031-05-05", "2032-05-04", "Other", "Partner", "yes"}})
	var out bytes.Buffer
	err := runRun(context.Background(), runOptions{file: input, today: "2031-05-10", input: importFlags{dateOrder: "mdy"},
		exec: execFlags{endpoint: base, journal: filepath.Join(dir, "j.db"), concurrency: 2, logFormat: "text", quiet: true, registerWait: 10 * time.Second}},
		env{stdout: &out, stderr: &out, getenv: func(k string) string {
			if k == "REFBATCH_TOKEN" {
				return "T"
			}
			return ""
		}})
	if err != nil || !strings.Contains(out.String(), "1 registered") {
		t.Fatalf("err = %v, want the deal registered\n%s", err, out.String())
	}
}
