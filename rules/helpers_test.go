package rules

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
)

// testToday is the date the tests' policies see as Today.
var testToday = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func testClock() time.Time { return testToday.Add(9 * time.Hour) }

// loadPolicy compiles the built-in rules plus an optional user file's content
// against the built-in tables, with the test clock.
func loadPolicy(t testing.TB, user string) *Policy {
	t.Helper()
	name := ""
	if user != "" {
		name = "test-rules.yaml"
	}
	p, err := LoadBytes(name, []byte(user), builtinTablesForTest(t), Options{Now: testClock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var sharedTables *Tables

func builtinTablesForTest(t testing.TB) *Tables {
	t.Helper()
	if sharedTables == nil {
		tb, err := LoadTables("")
		if err != nil {
			t.Fatal(err)
		}
		sharedTables = tb
	}
	return sharedTables
}

// foldedAlias looks v up among a column's template aliases, as the
// importer does (keys compared by refbatch.FoldKey).
func foldedAlias(m map[string]string, v string) (string, bool) {
	for k, canon := range m {
		if refbatch.FoldKey(k) == refbatch.FoldKey(v) {
			return canon, true
		}
	}
	return "", false
}

// buildRow is a small stand-in for the importer's RowFromRecord, enough for
// the tests' rows: headers map through refbatch.ColumnByName, enums take
// their canonical spelling when known (unknown ones stay as written, as the
// importer leaves them), numbers, dates (ISO) and booleans that do not parse
// mark the cell invalid with a finding, and the row is resolved.
func buildRow(tables *Tables) RowBuilder {
	vocab := tables.Vocabulary()
	return func(headers, values []string) (*refbatch.Row, []refbatch.Finding, error) {
		h := refbatch.NewHeader("cases.csv", "", 1, headers)
		for i, name := range headers {
			c, ok := refbatch.ColumnByName(name)
			if !ok {
				return nil, nil, fmt.Errorf("unknown header %q", name)
			}
			if h.Index[c] >= 0 {
				return nil, nil, fmt.Errorf("two headers for %s", c)
			}
			h.Index[c] = i
			h.Columns[i] = c
		}
		row := &refbatch.Row{Header: h, Number: 2, Raw: values}
		var finds []refbatch.Finding
		bad := func(c refbatch.Column, rule, v string) {
			row.Invalid = row.Invalid.With(c)
			finds = append(finds, row.Finding(c, rule, refbatch.SeverityError, fmt.Sprintf("%s %q does not parse", c, v)))
		}
		for i, v := range values {
			c := h.Columns[i]
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			row.Filled = row.Filled.With(c)
			switch c.Kind() {
			case refbatch.KindText:
				setField(row, c, v)
			case refbatch.KindEnum:
				if canon, ok := foldedAlias(refbatch.FixedAliases(c), v); ok {
					v = canon
				}
				setField(row, c, canonical(append(refbatch.FixedVocabulary(c), vocab[c]...), v))
			case refbatch.KindNumber:
				f, err := strconv.ParseFloat(strings.NewReplacer(",", "", "$", "").Replace(v), 64)
				if err != nil {
					bad(c, refbatch.RuleValue, v)
					continue
				}
				setField(row, c, f)
			case refbatch.KindDate:
				d, err := time.Parse(time.DateOnly, v)
				if err != nil {
					bad(c, refbatch.RuleDate, v)
					continue
				}
				setField(row, c, d)
			case refbatch.KindBool:
				switch strings.ToLower(v) {
				case "yes", "y", "true", "1", "x":
					setField(row, c, true)
				case "no", "n", "false", "0":
					setField(row, c, false)
				default:
					bad(c, refbatch.RuleValue, v)
				}
			case refbatch.KindList:
				var items []string
				for _, it := range strings.Split(v, ";") {
					if it = strings.TrimSpace(it); it != "" {
						items = append(items, it)
					}
				}
				setField(row, c, items)
			}
		}
		row.Resolve()
		return row, finds, nil
	}
}

func canonical(vocab []string, v string) string {
	for _, c := range vocab {
		if refbatch.FoldKey(c) == refbatch.FoldKey(v) {
			return c
		}
	}
	return v
}

// cells is a row as header → text, the way tests describe rows.
type cells map[string]string

// validCreate is a typical valid create row: a Co-sell deal in USD.
func validCreate() cells {
	return cells{
		"External Reference ID":   "CRM-1001",
		"Name":                    "Contoso ERP modernisation",
		"Deal Type":               "Co-sell",
		"Customer Name":           "Contoso Ltd",
		"Address Line 1":          "One Microsoft Way",
		"City":                    "Redmond",
		"State":                   "WA",
		"Postal Code":             "98052",
		"Country":                 "US",
		"Customer Size":           "51to250employees",
		"Contact First Name":      "Sue",
		"Contact Last Name":       "Smith",
		"Contact Email":           "sue.smith@contoso.com",
		"Contact Phone":           "+1 425 555 0100",
		"Deal Value":              "50000",
		"Currency":                "USD",
		"Closing Date":            "2026-09-30",
		"Notes":                   "Supply chain on Dynamics 365",
		"Solution IDs":            "SOL-34104-EBB",
		"Assistance Request Code": "ProofOfConceptOrDemo",
	}
}

// with returns a copy of c with the given header: value pairs set; an empty
// value removes the cell.
func (c cells) with(kv ...string) cells {
	out := make(cells, len(c)+len(kv)/2)
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// row builds c in column order, so that cell references are stable.
func (c cells) row(t testing.TB) (*refbatch.Row, []refbatch.Finding) {
	t.Helper()
	var headers, values []string
	for _, col := range refbatch.Columns() {
		for name, v := range c {
			if k, ok := refbatch.ColumnByName(name); ok && k == col {
				headers, values = append(headers, name), append(values, v)
			}
		}
	}
	if len(headers) != len(c) {
		t.Fatalf("unknown header among %v", c)
	}
	r, finds, err := buildRow(builtinTablesForTest(t))(headers, values)
	if err != nil {
		t.Fatal(err)
	}
	return r, finds
}

// found is a finding reduced to what the tests compare.
type found struct {
	Rule     string
	Column   string
	Severity refbatch.Severity
}

func (f found) String() string {
	s := f.Rule + "/" + f.Column
	if f.Severity == refbatch.SeverityWarning {
		s += "(warning)"
	}
	return s
}

func reduce(fs []refbatch.Finding) []found {
	out := make([]found, len(fs))
	for i, f := range fs {
		out[i] = found{f.Rule, f.Column, f.Severity}
	}
	return out
}

func errorOn(rule, column string) found {
	return found{rule, column, refbatch.SeverityError}
}

func warningOn(rule, column string) found {
	return found{rule, column, refbatch.SeverityWarning}
}

// setField sets the Row field of column c.
func setField(r *refbatch.Row, c refbatch.Column, v any) {
	reflect.ValueOf(r).Elem().FieldByName(c.Info().Field).Set(reflect.ValueOf(v))
}
