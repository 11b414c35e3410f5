package refbatch

import (
	"reflect"
	"testing"
	"time"
)

func TestFoldKey(t *testing.T) {
	for in, want := range map[string]string{
		"Co-Sell": "cosell", "co sell": "cosell", "cosell": "cosell",
		"Est. Close Date": "estclosedate", "Deal_Value (USD)": "dealvalueusd",
		"\u00a0Name\u00a0": "name", "": "",
	} {
		if got := FoldKey(in); got != want {
			t.Errorf("FoldKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnByName(t *testing.T) {
	for in, want := range map[string]Column{
		"Deal Value": ColDealValue, "amount": ColDealValue, "ZIP Code": ColPostalCode,
		"Sub Status": ColSubstatus, "Owner Email": ColTeamMemberEmail, "Est. Close Date": ColClosingDate,
		"solutionids": ColSolutionIDs, "Solutions": ColSolutionIDs, "CRM ID": ColExternalReferenceID,
	} {
		got, ok := ColumnByName(in)
		if !ok || got != want {
			t.Errorf("ColumnByName(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ColumnByName("Favourite Colour"); ok {
		t.Error("unknown header matched a column")
	}
}

func TestColumnNamesAreUnambiguous(t *testing.T) {
	seen := map[string]Column{}
	for _, c := range Columns() {
		info := c.Info()
		for _, n := range append([]string{info.Name, info.Field}, info.Aliases...) {
			k := FoldKey(n)
			if prev, ok := seen[k]; ok && prev != c {
				t.Errorf("%q names both %v and %v", n, prev, c)
			}
			seen[k] = c
		}
	}
	if int(NumColumns) > 128 {
		t.Fatalf("%d columns do not fit a ColumnSet", NumColumns)
	}
}

func TestCellRef(t *testing.T) {
	for _, tc := range []struct {
		i, row int
		want   string
	}{{0, 1, "A1"}, {25, 7, "Z7"}, {26, 2, "AA2"}, {701, 3, "ZZ3"}, {702, 4, "AAA4"}, {-1, 4, ""}} {
		if got := CellRef(tc.i, tc.row); got != tc.want {
			t.Errorf("CellRef(%d,%d) = %q, want %q", tc.i, tc.row, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	r := Row{ReferralID: "abc"}
	r.Resolve()
	if r.Action != ActionUpdate {
		t.Errorf("row with Referral ID resolved to %q", r.Action)
	}
	r = Row{HelpNeeded: true, Filled: ColumnSet{}.With(ColHelpNeeded)}
	r.Resolve()
	if r.Action != ActionCreate || r.DealType != DealTypeCosell || r.ReferralType != ReferralTypeShared || !r.ShareWithMicrosoftSellers {
		t.Errorf("help-needed row resolved to %+v", r)
	}
	r = Row{DealType: DealTypePrivate, Filled: ColumnSet{}.With(ColDealType)}
	r.Resolve()
	if r.ReferralType != ReferralTypeIndependent || r.ShareWithMicrosoftSellers {
		t.Errorf("private row resolved to type %q share %v", r.ReferralType, r.ShareWithMicrosoftSellers)
	}
	r = Row{DealType: DealTypeCosell, ReferralType: ReferralTypeIndependent, Filled: ColumnSet{}.With(ColDealType).With(ColReferralType).With(ColShareWithMicrosoftSellers)}
	r.Resolve()
	if r.ReferralType != ReferralTypeIndependent || r.ShareWithMicrosoftSellers {
		t.Error("Resolve overwrote filled cells")
	}
}

func TestSummary(t *testing.T) {
	var s Summary
	s.Add(nil)
	s.Add([]Finding{{Rule: "value", Severity: SeverityError}, {Rule: "date", Severity: SeverityWarning}})
	s.Add([]Finding{{Rule: "date", Severity: SeverityWarning}})
	if s.Rows != 3 || s.Valid != 2 || s.Errors != 1 || s.Warnings != 2 || s.ByRule["date"] != 2 {
		t.Errorf("summary = %+v", s)
	}
}

func TestFieldAccessorsMatchColumnInfo(t *testing.T) {
	for _, c := range Columns() {
		var r Row
		info := c.Info()
		got := map[Kind]bool{
			KindText:   r.TextField(c) != nil,
			KindNumber: r.NumberField(c) != nil,
			KindDate:   r.DateField(c) != nil,
			KindBool:   r.BoolField(c) != nil,
			KindList:   r.ListField(c) != nil,
		}
		want := info.Kind
		if want == KindEnum {
			want = KindText
		}
		for k, ok := range got {
			if ok != (k == want) {
				t.Errorf("%v (%v): accessor for %v returns %v", c, info.Kind, k, ok)
			}
		}
		// The accessor reaches the field ColumnInfo names.
		rv := reflect.ValueOf(&r).Elem().FieldByName(info.Field)
		if !rv.IsValid() {
			t.Fatalf("%v: Row has no field %s", c, info.Field)
		}
		switch want {
		case KindText:
			*r.TextField(c) = "x"
			if rv.String() != "x" {
				t.Errorf("%v: TextField is not Row.%s", c, info.Field)
			}
		case KindNumber:
			*r.NumberField(c) = 7
			if rv.Float() != 7 {
				t.Errorf("%v: NumberField is not Row.%s", c, info.Field)
			}
		case KindBool:
			*r.BoolField(c) = true
			if !rv.Bool() {
				t.Errorf("%v: BoolField is not Row.%s", c, info.Field)
			}
		case KindDate:
			*r.DateField(c) = time.Unix(1, 0)
			if !rv.Interface().(time.Time).Equal(time.Unix(1, 0)) {
				t.Errorf("%v: DateField is not Row.%s", c, info.Field)
			}
		case KindList:
			*r.ListField(c) = []string{"a"}
			if rv.Len() != 1 {
				t.Errorf("%v: ListField is not Row.%s", c, info.Field)
			}
		}
	}
}
