package refbatch

import "testing"

func TestSerialDateText(t *testing.T) {
	for _, tc := range []struct {
		serial float64
		want   string
		ok     bool
	}{
		{25569, "1970-01-01", true},
		{46477, "2027-03-31", true},
		{46477.5, "2027-03-31 12:00:00", true},
		{0.75, "18:00:00", true},
		{1, "1900-01-01", true},
		{59, "1900-02-28", true},
		{60, "1900-02-29", true},
		{61, "1900-03-01", true},
		{-1, "", false},
		{3e6, "", false},
	} {
		got, ok := SerialDateText(tc.serial)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SerialDateText(%v) = %q, %v; want %q, %v", tc.serial, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRowFindingShowsDates(t *testing.T) {
	h := NewHeader("in.xlsx", "Sheet1", 1, []string{"Name", "Close Date", "Deal Value"})
	h.Index[ColName], h.Index[ColClosingDate], h.Index[ColDealValue] = 0, 1, 2
	row := &Row{Header: h, Number: 2, Raw: []string{"Deal", "46477", "30000"},
		Cells: []CellType{{}, {Kind: CellDate, Value: 46477, Format: "m/d/yyyy"}, {Kind: CellNumber, Value: 30000, Format: "$#,##0"}}}
	if f := row.Finding(ColClosingDate, RuleDate, SeverityError, "m"); f.Value != "2027-03-31" || f.Cell != "B2" {
		t.Errorf("date finding value %q cell %q, want 2027-03-31 B2", f.Value, f.Cell)
	}
	if f := row.Finding(ColDealValue, RuleValue, SeverityError, "m"); f.Value != "30000" {
		t.Errorf("number finding value %q, want the text as read", f.Value)
	}
	// A CSV row has no types: the text as read.
	csv := &Row{Header: h, Number: 2, Raw: []string{"Deal", "46477"}}
	if f := csv.Finding(ColClosingDate, RuleDate, SeverityError, "m"); f.Value != "46477" {
		t.Errorf("untyped finding value %q, want 46477", f.Value)
	}
	if f := row.Finding(ColCountry, RuleValue, SeverityError, "m"); f.Value != "" || f.Cell != "" {
		t.Errorf("absent column: value %q cell %q", f.Value, f.Cell)
	}
}
