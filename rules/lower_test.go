package rules

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// randomRow fills a random selection of columns with values chosen to hit
// the rules' edges: known and unknown enum values, the 25,000 boundary,
// dates around Today, empty and odd lists, and now and then an invalid cell.
func randomRow(rng *rand.Rand) *refbatch.Row {
	texts := []string{"x", "create", "update", "Co-sell", "Partner-led", "Private", "co sell", "Shared", "Independent",
		"New", "Active", "Closed", "Pending", "Accepted", "Won", "Lost", "US", "us", "USA", "USD", "EUR", "XCG", "GBP",
		"10to50employees", "Security", "Migrate SAP", "Data and AI", "Build and Modernize AI Apps", "Finite", "Other",
		"Partner", "ProofOfConceptOrDemo", "Proof of concept", "sue@contoso.com", "sue@", "+1 425 555 0100", "12"}
	numbers := []float64{0, -1, 1, 25000, 25000.01, 21551.72, 21551.73, 1e6}
	dates := []time.Time{{}, testToday.AddDate(0, 0, -1), testToday, testToday.AddDate(0, 0, 1), testToday.AddDate(2, 0, 0)}
	lists := [][]string{nil, {"SOL-34104-EBB"}, {"SOL-34104-EBA"}, {"SOL-ABC-DEF", "DEAL-123456-XYZ"}, {"unknown"}}

	r := &refbatch.Row{Number: 2}
	for _, c := range refbatch.Columns() {
		if rng.IntN(3) == 0 {
			continue
		}
		r.Filled = r.Filled.With(c)
		if rng.IntN(20) == 0 {
			r.Invalid = r.Invalid.With(c)
			continue
		}
		switch c.Kind() {
		case refbatch.KindText, refbatch.KindEnum:
			setField(r, c, texts[rng.IntN(len(texts))])
		case refbatch.KindNumber:
			setField(r, c, numbers[rng.IntN(len(numbers))])
		case refbatch.KindDate:
			setField(r, c, dates[rng.IntN(len(dates))])
		case refbatch.KindBool:
			setField(r, c, rng.IntN(2) == 0)
		case refbatch.KindList:
			setField(r, c, lists[rng.IntN(len(lists))])
		}
	}
	r.Resolve()
	return r
}

// TestLoweredMatchesVM evaluates every boolean expression of the built-in
// rules (and of a few user rules that mix lowered and VM parts) both ways,
// lowered Go and compiled program, on random rows: they must agree.
func TestLoweredMatchesVM(t *testing.T) {
	p := loadPolicy(t, `
rules:
  - id: mixed
    when: filled("Deal Value") && DealValue * 2 > 30000
    check: Status != "Closed" && ClosingDate <= addMonths(Today, 18)
  - id: numbers
    check: -DealValue < 0 || len(SolutionIDs) >= 2 || ContractValue != DealValue
  - id: not-in
    check: Status not in ["New", "Active"] and not Invalid.Status
`)
	e := p.NewEvaluator()
	rng := rand.New(rand.NewPCG(1, 2))
	lowered, guarded := 0, 0
	for i := 0; i < 3000; i++ {
		row := randomRow(rng)
		e.start(row)
		env := e.envOf(row)
		for _, r := range append(append([]*rule{}, p.rows...), p.unique...) {
			for _, x := range []*expression{r.when, r.check} {
				if x == nil {
					continue
				}
				switch {
				case x.test != nil:
					lowered++
				case len(x.guards) > 0:
					guarded++
				}
				got, err := e.holds(x, row)
				if err != nil {
					t.Fatalf("%s %q: %v", r.id, x.source, err)
				}
				out, err := e.machine.Run(x.program, env)
				if err != nil {
					t.Fatalf("%s %q: %v", r.id, x.source, err)
				}
				if got != out.(bool) {
					t.Fatalf("rule %s, %q: lowered says %v, the VM %v, on row %+v", r.id, x.source, got, out, row)
				}
			}
		}
	}
	if lowered == 0 || guarded == 0 {
		t.Errorf("lowered %d, guarded %d: the test does not exercise both paths", lowered, guarded)
	}
}

// TestBuiltinRulesAreLowered: every built-in row rule runs without the VM,
// which is what keeps validation of a valid row allocation-free.
func TestBuiltinRulesAreLowered(t *testing.T) {
	p := loadPolicy(t, "")
	for _, r := range p.rows {
		if r.when != nil && r.when.test == nil || r.check.test == nil {
			t.Errorf("rule %s (%s) needs the VM: when %q, check %q", r.id, r.info.Origin, r.info.When, r.info.Check)
		}
	}
	for _, r := range p.unique {
		if r.unique.key == nil {
			t.Errorf("unique rule %s needs the VM for its key", r.id)
		}
	}
}

// TestEnvMirrorsRow: Env has every Row column field with the same type,
// fill copies each one, ColumnFlags follows the column order, and the row
// readers cover every field of their kind.
func TestEnvMirrorsRow(t *testing.T) {
	envType, rowType := reflect.TypeFor[Env](), reflect.TypeFor[refbatch.Row]()
	flagsType := reflect.TypeFor[ColumnFlags]()
	if flagsType.NumField() != int(refbatch.NumColumns)-1 {
		t.Fatalf("ColumnFlags has %d fields for %d columns", flagsType.NumField(), refbatch.NumColumns-1)
	}
	row := &refbatch.Row{}
	for i, c := range refbatch.Columns() {
		field := c.Info().Field
		rf, ok := rowType.FieldByName(field)
		if !ok {
			t.Fatalf("Row has no field %s", field)
		}
		ef, ok := envType.FieldByName(field)
		if !ok || ef.Type != rf.Type {
			t.Errorf("Env.%s missing or of another type than Row.%s (%v)", field, field, rf.Type)
		}
		if f := flagsType.Field(i); f.Name != field || f.Type.Kind() != reflect.Bool {
			t.Errorf("ColumnFlags field %d is %s, want bool %s", i, f.Name, field)
		}
		// A distinct non-zero value per field, to see fill copy it.
		v := reflect.ValueOf(row).Elem().FieldByName(field)
		switch rf.Type.Kind() {
		case reflect.String:
			v.SetString(field)
		case reflect.Float64:
			v.SetFloat(float64(i + 1))
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			// A numbered column's records are rules' to read through
			// Solution IDs (and the VM), not a list reader.
			v.Set(reflect.MakeSlice(rf.Type, 1, 1))
			if rf.Type.Elem().Kind() == reflect.String {
				v.Set(reflect.ValueOf([]string{field}))
			}
		case reflect.Struct:
			v.Set(reflect.ValueOf(testToday.AddDate(0, 0, i)))
		}
		readers := map[reflect.Kind]bool{reflect.String: rowText(field) != nil, reflect.Float64: rowNumber(field) != nil,
			reflect.Bool: rowBool(field) != nil, reflect.Slice: rowList(field) != nil, reflect.Struct: rowDate(field) != nil}
		if _, numbered := c.NumberedBase(); numbered {
			readers[reflect.Slice] = true
		}
		for kind, ok := range readers {
			if ok != (kind == rf.Type.Kind()) {
				t.Errorf("%s (%v): reader for %v is %v", field, rf.Type.Kind(), kind, ok)
			}
		}
		row.Filled = row.Filled.With(c)
		if i%2 == 0 {
			row.Invalid = row.Invalid.With(c)
		}
	}
	var env Env
	env.fill(row)
	ev, rv := reflect.ValueOf(env), reflect.ValueOf(row).Elem()
	for i, c := range refbatch.Columns() {
		field := c.Info().Field
		if !reflect.DeepEqual(ev.FieldByName(field).Interface(), rv.FieldByName(field).Interface()) {
			t.Errorf("fill did not copy %s", field)
		}
		if !ev.FieldByName("Filled").Field(i).Bool() || ev.FieldByName("Invalid").Field(i).Bool() != (i%2 == 0) {
			t.Errorf("fill did not set the flags of %s", field)
		}
	}
}
