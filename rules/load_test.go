package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// TestCompileErrors: a rules file that does not compile is an InputError
// naming the file, the rule id and the line, with the line:column of the
// mistake inside the expression.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		rule string
		row  int
		want string // the error text after "rules.yaml: "
	}{
		{"syntax-error", "big-deals", 4, "row 4: rule big-deals: 4:30: unexpected token EOF"},
		{"non-bool-check", "value-check", 3, "row 3: rule value-check: 3:12: expected bool, but got float64"},
		{"unknown-name", "dealreg", 6, "row 6: rule dealreg: 6:12: unknown name DealValu"},
		{"unknown-column", "notes", 4, `row 4: rule notes: 4:22: unknown column "Deal Valu"`},
		{"unknown-column-in-filled", "notes", 3, `row 3: rule notes: 3:40: unknown column "Note"`},
		{"unknown-severity", "notes", 3, `row 3: rule notes: 3:15: unknown severity "fatal" (error or warning)`},
		{"missing-id", "", 2, "row 2: 2:5: rule without an id"},
		{"missing-check", "notes", 2, "row 2: rule notes: 2:5: rule without a check"},
		{"unknown-table", "industry", 4, `row 4: rule industry: 4:18: unknown table "country"; the tables are countries,`},
		{"block-literal", "long-deal", 6, "row 6: rule long-deal: 6:48: unknown name DealValeu"},
		{"quoted-position", "country", 3, "row 3: rule country: 3:34: unknown name Countr"},
		{"message-placeholder", "notes", 4, "row 4: rule notes: 4:41: message: unknown name Nme"},
		{"unknown-key", "notes", 3, `row 3: rule notes: 3:5: unknown key "chek"`},
		{"yaml-error", "", 4, "row 4: 4:4: "},
		{"several-errors", "one", 3, "row 3: rule one: 3:12: unknown name Nope"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			path := filepath.Join("testdata", "compile", tc.dir, "rules.yaml")
			_, err := Load(path, builtinTablesForTest(t), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			var ie *refbatch.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%T is not an InputError: %v", err, err)
			}
			if _, single := err.(*refbatch.InputError); !single && tc.dir != "several-errors" && tc.dir != "unknown-key" {
				t.Errorf("one error comes as %T, want *refbatch.InputError", err)
			}
			if ie.File != path || ie.Rule != tc.rule || ie.Row != tc.row {
				t.Errorf("InputError{File %q, Rule %q, Row %d}, want {%q, %q, %d}", ie.File, ie.Rule, ie.Row, path, tc.rule, tc.row)
			}
			if want := path + ": " + tc.want; !strings.HasPrefix(ie.Error(), want) {
				t.Errorf("error\n %s\nwant prefix\n %s", ie.Error(), want)
			}
		})
	}
	t.Run("several errors are all reported", func(t *testing.T) {
		_, err := Load("testdata/compile/several-errors/rules.yaml", builtinTablesForTest(t), Options{})
		if lines := strings.Split(err.Error(), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "rule two: 5:14: unexpected token EOF") {
			t.Errorf("errors:\n%v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load("testdata/compile/nope.yaml", nil, Options{})
		if !refbatch.IsInputError(err) {
			t.Errorf("err = %v, want an InputError", err)
		}
	})
}

// TestMerge: a user file extends the built-in rules; its families replace
// built-in families of the same id; replace: true drops the built-ins;
// disable removes families.
func TestMerge(t *testing.T) {
	builtin := loadPolicy(t, "")
	families := func(p *Policy) []string {
		var ids []string
		for _, r := range p.Rules() {
			if len(ids) == 0 || ids[len(ids)-1] != r.ID {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	count := func(p *Policy, id string) int {
		n := 0
		for _, r := range p.Rules() {
			if r.ID == id {
				n++
			}
		}
		return n
	}
	load := func(t *testing.T, dir string) (*Policy, error) {
		return Load(filepath.Join("testdata", "merge", dir, "rules.yaml"), builtinTablesForTest(t), Options{Now: testClock})
	}
	builtinIDs := families(builtin)

	t.Run("extend", func(t *testing.T) {
		p, err := load(t, "extend")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := families(p), append(slices.Clone(builtinIDs), "notes"); !slices.Equal(got, want) {
			t.Errorf("families %v, want %v", got, want)
		}
		got := evaluate(t, p, validCreate().with("Notes", ""))
		if !sameFindings(reduce(got), []found{warningOn("notes", "Notes")}) {
			t.Errorf("findings %v", reduce(got))
		}
		last := p.Rules()[len(p.Rules())-1]
		if !strings.HasSuffix(last.Origin, "merge/extend/rules.yaml:3") {
			t.Errorf("origin %q", last.Origin)
		}
	})
	t.Run("replace a family", func(t *testing.T) {
		p, err := load(t, "replace-family")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(families(p), builtinIDs) {
			t.Errorf("families %v, want the built-in order %v", families(p), builtinIDs)
		}
		if count(p, "date") != 1 || !strings.Contains(p.Rules()[slices.IndexFunc(p.Rules(), func(r RuleInfo) bool { return r.ID == "date" })].Message, "a week") {
			t.Error("the date family is not the user's")
		}
		// Five days late is fine now, ten days is not.
		if got := evaluate(t, p, validCreate().with("Closing Date", "2026-05-27")); len(got) != 0 {
			t.Errorf("five days late: %v", reduce(got))
		}
		if got := evaluate(t, p, validCreate().with("Closing Date", "2026-05-22")); !sameFindings(reduce(got), []found{warningOn("date", "Closing Date")}) {
			t.Errorf("ten days late: %v", reduce(got))
		}
	})
	t.Run("replace all", func(t *testing.T) {
		p, err := load(t, "replace-all")
		if err != nil {
			t.Fatal(err)
		}
		if got := families(p); !slices.Equal(got, []string{"name"}) {
			t.Errorf("families %v", got)
		}
		if got := evaluate(t, p, cells{"Notes": "only notes"}); !sameFindings(reduce(got), []found{errorOn("name", "Name")}) {
			t.Errorf("findings %v", reduce(got))
		}
		if p.NewDuplicateCheck().Check(nil, &refbatch.Row{ExternalReferenceID: "x"}) != nil {
			t.Error("the duplicate rule survived replace: true")
		}
	})
	t.Run("disable", func(t *testing.T) {
		p, err := load(t, "disable")
		if err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(slices.Clone(builtinIDs), func(id string) bool { return id == "contact" || id == "date" })
		if got := families(p); !slices.Equal(got, want) {
			t.Errorf("families %v, want %v", got, want)
		}
		if got := evaluate(t, p, validCreate().with("Closing Date", "2020-01-01", "Contact Email", "nope")); len(got) != 0 {
			t.Errorf("disabled rules still report: %v", reduce(got))
		}
	})
	for _, tc := range []struct{ dir, want string }{
		{"disable-unknown", `row 2: 2:5: disable: "contacts" is not a built-in rule id`},
		{"disable-and-define", `row 3: rule date: 3:5: rule "date" is both disabled and defined`},
		{"replace-with-disable", "row 2: 2:11: disable has no effect with replace: true"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			_, err := load(t, tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !refbatch.IsInputError(err) {
				t.Errorf("err = %v, want an InputError with %q", err, tc.want)
			}
		})
	}
}

// TestTables: --tables DIR replaces the tables it holds and validates them,
// naming the file and line of a problem.
func TestTables(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want string // error text; empty for success
	}{
		{"unknown-area", `testdata/tables/unknown-area/solution-plays.csv: row 3: unknown solution area "Cloud and AI Platforms" (not in solution-areas.csv)`},
		{"malformed-rate", `testdata/tables/malformed-rate/fx-rates.csv: row 3: rate "n/a" is not a positive number`},
		{"duplicate-country", `testdata/tables/duplicate-country/countries.csv: row 5: duplicate value "DE"`},
		{"unknown-file", `testdata/tables/unknown-file/country.csv: not a reference table; the tables are countries, currencies,`},
		{"bad-header", `testdata/tables/bad-header/partner-roles.csv: row 1: header is "partner role", want "role"`},
		{"unknown-status", `testdata/tables/unknown-status/status-transitions.csv: row 3: unknown status "Won" (the API's are New, Active, Closed)`},
		{"fy26-plays", ""},
		{"excel-semicolons", ""},
		{"fx-round-rates", ""},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			tables, err := LoadTables(filepath.Join("testdata", "tables", tc.dir))
			if tc.want != "" {
				if err == nil || !refbatch.IsInputError(err) || !strings.HasPrefix(err.Error(), tc.want) {
					t.Errorf("err = %v\nwant an InputError starting %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tables.Hash() == builtinTablesForTest(t).Hash() {
				t.Error("an overridden table left the hash unchanged")
			}
		})
	}

	t.Run("a new fiscal year's plays", func(t *testing.T) {
		tables, err := LoadTables("testdata/tables/fy26-plays")
		if err != nil {
			t.Fatal(err)
		}
		p, err := LoadBytes("", nil, tables, Options{Now: testClock})
		if err != nil {
			t.Fatal(err)
		}
		if got := tables.Vocabulary()[refbatch.ColSolutionArea]; !slices.Equal(got, []string{"AI Business Solutions", "Cloud and AI Platforms", "Security"}) {
			t.Errorf("areas %v", got)
		}
		row := validCreate().with("Solution Area", "Cloud and AI Platforms", "Solution Play", "Unify your Data Platform")
		if got := evaluate(t, p, row); len(got) != 0 {
			t.Errorf("FY26 play rejected: %v", reduce(got))
		}
		row = validCreate().with("Solution Area", "Infrastructure", "Solution Play", "Migrate SAP")
		if got := evaluate(t, p, row); !sameFindings(reduce(got), []found{errorOn("enum", "Solution Area"), errorOn("enum", "Solution Play")}) {
			t.Errorf("FY24 play accepted: %v", reduce(got))
		}
		// The other tables are still the built-in ones.
		if !tables.Known(TableCountries, "DE") || !tables.Known(TableCurrencies, "EUR") {
			t.Error("built-in tables lost")
		}
	})
	t.Run("excel's BOM and semicolons", func(t *testing.T) {
		tables, err := LoadTables("testdata/tables/excel-semicolons")
		if err != nil {
			t.Fatal(err)
		}
		if !tables.Known(TablePartnerRoles, "Reseller") || tables.Known(TablePartnerRoles, "Solution design") {
			t.Errorf("roles %v", tables.Values(TablePartnerRoles))
		}
		if got := tables.USD(100, "EUR", testToday); got != 150 {
			t.Errorf("USD(100 EUR) = %v", got)
		}
	})
}

func TestBuiltinTables(t *testing.T) {
	tables := builtinTablesForTest(t)
	t.Run("FY24 plays as in create-referral", func(t *testing.T) {
		plays := tables.Plays()
		var areas []string
		n := 0
		for _, ap := range plays {
			areas = append(areas, ap.Area)
			n += len(ap.Plays)
		}
		want := []string{"Business Applications", "Data and AI", "Digital and Application Innovation", "Infrastructure", "Modern Work", "Security", "Unified Support"}
		if !slices.Equal(areas, want) || n != 30 {
			t.Errorf("areas %v with %d plays, want %v with 30", areas, n, want)
		}
		if !tables.PlayIn("Data and AI", "Build and Modernize AI Apps") || !tables.PlayIn("Digital and Application Innovation", "Build and Modernize AI Apps") {
			t.Error("a play in two areas")
		}
		if !tables.PlayIn("Infrastructure", "Innovate with HPC, AI Infrastructure") {
			t.Error("a play with a comma")
		}
		if got := len(tables.Vocabulary()[refbatch.ColSolutionPlay]); got != 29 {
			t.Errorf("%d distinct plays, want 29", got)
		}
	})
	t.Run("vocabulary columns", func(t *testing.T) {
		v := tables.Vocabulary()
		var cols []string
		for c, values := range v {
			cols = append(cols, c.String())
			if len(values) == 0 {
				t.Errorf("%s has no values", c)
			}
		}
		slices.Sort(cols)
		want := []string{"Assistance Request Code", "Contract Currency", "Contract Term", "Country", "Currency", "Customer Size",
			"Partner Role", "Pricing Model", "Primary Deployment On", "Solution Area", "Solution Play"}
		if !slices.Equal(cols, want) {
			t.Errorf("Vocabulary columns %v, want %v", cols, want)
		}
		if n := len(v[refbatch.ColCountry]); n != 249 {
			t.Errorf("%d countries, want 249", n)
		}
		if n := len(v[refbatch.ColPartnerRole]); n != 8 {
			t.Errorf("%d partner roles, want 8", n)
		}
		if !slices.Contains(v[refbatch.ColCustomerSize], "10to50employees") {
			t.Error("the documents' customer size is missing")
		}
		for _, code := range []string{"USD", "EUR", "GBP", "JPY", "CHF", "INR", "ZWG", "XCG"} {
			if !slices.Contains(v[refbatch.ColCurrency], code) {
				t.Errorf("currency %s missing", code)
			}
		}
		for _, code := range []string{"HRK", "XXX", "XAU", "XTS"} {
			if slices.Contains(v[refbatch.ColCurrency], code) {
				t.Errorf("currency %s should not be there", code)
			}
		}
	})
	t.Run("fx", func(t *testing.T) {
		date := func(s string) time.Time {
			if s == "" {
				return time.Time{}
			}
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for _, tc := range []struct {
			amount   float64
			currency string
			on       string
			want     float64
		}{
			{100, "USD", "2026-01-01", 100},
			{100, "usd", "", 100},
			{100, "EUR", "2026-01-01", 116},
			{100, "EUR", "2025-12-31", 117},
			{100, "EUR", "2025-07-01", 117},
			{100, "EUR", "2024-06-01", 104}, // before every rate: the oldest
			{100, "EUR", "", 116},           // no date: the newest
			{100, "eur", "2030-01-01", 116},
			{21551.72, "EUR", "2026-09-30", 25000},
		} {
			if got := tables.USD(tc.amount, tc.currency, date(tc.on)); got != tc.want {
				t.Errorf("USD(%v %s on %q) = %v, want %v", tc.amount, tc.currency, tc.on, got, tc.want)
			}
		}
		if !tables.HasRate("USD") || !tables.HasRate("eur") || tables.HasRate("XCG") || tables.HasRate("ZZZ") {
			t.Error("HasRate")
		}
		if got := tables.USD(1, "XCG", testToday); got == got {
			t.Errorf("USD without a rate = %v, want NaN", got)
		}
	})
	t.Run("solutions", func(t *testing.T) {
		if !tables.AzureIPEligible([]string{"SOL-34104-EBA", "deal-123456-xyz"}) || tables.AzureIPEligible([]string{"SOL-34104-EBA"}) || tables.AzureIPEligible(nil) {
			t.Error("AzureIPEligible")
		}
	})
	t.Run("every built-in table is readable", func(t *testing.T) {
		for _, name := range TableNames() {
			if data, err := BuiltinTable(name); err != nil || len(data) == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestHash: the policy hash changes with the rules and with the tables.
func TestHash(t *testing.T) {
	a, b := loadPolicy(t, ""), loadPolicy(t, "")
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Errorf("hash %q vs %q", a.Hash(), b.Hash())
	}
	if c := loadPolicy(t, "disable: [date]\n"); c.Hash() == a.Hash() {
		t.Error("a user file left the hash unchanged")
	}
	tables, err := LoadTables("testdata/tables/fx-round-rates")
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadBytes("", nil, tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Hash() == a.Hash() {
		t.Error("other tables left the hash unchanged")
	}
}

// TestTableNamedButUnreadable: a table file in --tables that cannot be
// read (a dangling symlink) is an error, not the built-in sample table.
func TestTableNamedButUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "gone.csv"), filepath.Join(dir, "fx-rates.csv")); err != nil {
		t.Skip(err)
	}
	_, err := LoadTables(dir)
	var ie *refbatch.InputError
	if !errors.As(err, &ie) || ie.File != filepath.Join(dir, "fx-rates.csv") {
		t.Fatalf("err = %v, want an InputError naming fx-rates.csv", err)
	}
}

// TestHugeRulesFileRefused: a rules file over the cap is refused before it
// is parsed.
func TestHugeRulesFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("# padding\n"), (maxRulesBytes/10)+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("err = %v", err)
	}
}

// TestCountryAliases: names and common forms resolve to alpha-2 codes.
func TestCountryAliases(t *testing.T) {
	tables, err := LoadTables("")
	if err != nil {
		t.Fatal(err)
	}
	m := tables.Aliases()[refbatch.ColCountry]
	for in, want := range map[string]string{"United States": "US", "USA": "US", "U.K.": "GB", "Deutschland": "DE", "Germany": "DE", "u.s.a.": "US"} {
		if got := m[refbatch.FoldKey(in)]; got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
