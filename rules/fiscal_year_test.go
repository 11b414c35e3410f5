package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

func TestFiscalYearOf(t *testing.T) {
	for d, want := range map[string]int{
		"2026-06-30": 2026, "2026-07-01": 2027, "2025-07-01": 2026, "2026-01-15": 2026, "2026-12-31": 2027,
	} {
		day, _ := time.Parse(time.DateOnly, d)
		if got := FiscalYearOf(day); got != want {
			t.Errorf("FiscalYearOf(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestParseFiscalYear(t *testing.T) {
	for in, want := range map[string]int{"FY26": 2026, "fy26": 2026, "26": 2026, "2026": 2026, "FY2027": 2027, " FY 24 ": 2024} {
		if got, err := ParseFiscalYear(in); err != nil || got != want {
			t.Errorf("ParseFiscalYear(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "FY", "2026-27", "202", "1999", "FY-1", "next"} {
		if got, err := ParseFiscalYear(in); err == nil {
			t.Errorf("ParseFiscalYear(%q) = %d, want an error", in, got)
		}
	}
}

// TestFiscalYearTables: a --tables directory may add a fiscal year's
// Solution Area/Play table beside the built-in FY24 one; --fiscal-year
// (Options.FiscalYear) picks one for every row, else each row's Closing Date
// picks its year's (the newest table not after it).
func TestFiscalYearTables(t *testing.T) {
	tables, err := LoadTables("testdata/tables/fiscal-years")
	if err != nil {
		t.Fatal(err)
	}
	if got := tables.FiscalYears(); !slices.Equal(got, []int{2024, 2026}) {
		t.Fatalf("fiscal years %v, want [2024 2026]", got)
	}
	if got := builtinTablesForTest(t).FiscalYears(); !slices.Equal(got, []int{2024}) {
		t.Errorf("built-in fiscal years %v, want [2024]", got)
	}
	if tables.Hash() == builtinTablesForTest(t).Hash() {
		t.Error("a second year left the hash unchanged")
	}
	fy24 := validCreate().with("Solution Area", "Infrastructure", "Solution Play", "Migrate SAP")
	fy26 := validCreate().with("Solution Area", "Test Area Alpha", "Solution Play", "Test Play Two")
	wrongArea := validCreate().with("Solution Area", "Test Area Beta", "Solution Play", "Test Play Two")
	rejected := []found{errorOn("enum", "Solution Area"), errorOn("enum", "Solution Play")}

	policy := func(t *testing.T, fy int) *Policy {
		t.Helper()
		p, err := LoadBytes("", nil, tables, Options{Now: testClock, FiscalYear: fy})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// taxonomy keeps the findings about the Solution Area/Play table (a
	// past Closing Date has its own warning).
	taxonomy := func(fs []refbatch.Finding) []found {
		var out []found
		for _, f := range reduce(fs) {
			if f.Rule == "enum" || f.Rule == "solution-play" {
				out = append(out, f)
			}
		}
		return out
	}
	check := func(t *testing.T, p *Policy, c cells, want []found) {
		t.Helper()
		if got := taxonomy(evaluate(t, p, c)); !sameFindings(got, want) {
			t.Errorf("%s / %s closing %s: %v, want %v", c["Solution Area"], c["Solution Play"], c["Closing Date"], got, want)
		}
	}

	t.Run("--fiscal-year FY26", func(t *testing.T) {
		p := policy(t, 2026)
		check(t, p, fy26, nil)
		check(t, p, fy24, rejected)
		check(t, p, wrongArea, []found{errorOn("solution-play", "Solution Play")})
		// Whatever the row's date.
		check(t, p, fy26.with("Closing Date", "2025-03-31"), nil)
		if got := p.Tables().Vocabulary()[refbatch.ColSolutionArea]; !slices.Equal(got, []string{"Test Area Alpha", "Test Area Beta"}) {
			t.Errorf("FY26 areas for the template: %v", got)
		}
	})
	t.Run("--fiscal-year FY24", func(t *testing.T) {
		p := policy(t, 2024)
		check(t, p, fy24, nil)
		check(t, p, fy26, rejected)
		if p.Hash() == policy(t, 2026).Hash() {
			t.Error("the fiscal year left the policy hash unchanged")
		}
	})
	t.Run("--fiscal-year FY25 keeps FY24's table", func(t *testing.T) {
		p := policy(t, 2025)
		check(t, p, fy24, nil)
		check(t, p, fy26, rejected)
	})
	t.Run("by the row's Closing Date", func(t *testing.T) {
		p := policy(t, 0)                                              // Today is 2026-06-01: FY26
		check(t, p, fy26.with("Closing Date", "2026-06-30"), nil)      // FY26
		check(t, p, fy26.with("Closing Date", "2026-09-30"), nil)      // FY27: FY26's is the newest
		check(t, p, fy24.with("Closing Date", "2025-06-30"), nil)      // FY25: FY24's table
		check(t, p, fy26.with("Closing Date", "2025-06-30"), rejected) // FY25
		check(t, p, fy24.with("Closing Date", "2025-07-01"), rejected) // FY26 begins
		check(t, p, fy24.with("Closing Date", "2023-01-31"), nil)      // before any table: the oldest
		// No date: Today's fiscal year.
		if got := taxonomy(evaluate(t, p, fy26.with("Closing Date", ""))); len(got) != 0 {
			t.Errorf("no Closing Date, Today in FY26: %v", got)
		}
		if got := p.Tables().FiscalYear(); got != 2026 {
			t.Errorf("the template's year %d, want Today's table, 2026", got)
		}
		// Each goroutine's evaluator switches tables row by row.
		e := p.NewEvaluator()
		for i, c := range []cells{fy26, fy24.with("Closing Date", "2025-05-31"), fy26, fy24.with("Closing Date", "2025-05-31")} {
			row, _ := c.row(t)
			if got := taxonomy(e.Evaluate(nil, row)); len(got) != 0 {
				t.Errorf("row %d: %v", i, got)
			}
		}
	})
	t.Run("a year's plays need its areas", func(t *testing.T) {
		_, err := LoadTables("testdata/tables/year-without-areas")
		want := "testdata/tables/year-without-areas/solution-plays-fy27.csv: needs solution-areas-fy27.csv beside it"
		if err == nil || !refbatch.IsInputError(err) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v\nwant an InputError starting %q", err, want)
		}
	})
	t.Run("the built-in year's file replaced by year", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "solution-plays-fy24.csv"), []byte("area,play\nInfrastructure,Migrate SAP\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tables, err := LoadTables(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := tables.Plays(); len(got) != 1 || !slices.Equal(got[0].Plays, []string{"Migrate SAP"}) {
			t.Errorf("plays %v", got)
		}
		if !tables.Known(TableSolutionAreas, "Security") {
			t.Error("FY24's areas lost: the built-in areas file should pair with dir's plays")
		}
	})
}
