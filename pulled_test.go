package refbatch

import "testing"

// TestSameCanonical: two CanonicalText values of a column compare as the
// column's kind (a re-saved file's formats are the importer's to read:
// importer's TestPulledRowKeepsOnlyEdits).
func TestSameCanonical(t *testing.T) {
	for _, tc := range []struct {
		c    Column
		a, b string
		want bool
	}{
		{ColDealValue, "52000", "52000", true},
		{ColDealValue, "52000", "52000.001", true},
		{ColDealValue, "52000", "60000", false},
		{ColClosingDate, "2027-10-15", "2027-10-15", true},
		{ColClosingDate, "2027-10-15", "2027-10-16", false},
		{ColStatus, "Active", "active", true},
		{ColIndustries, "Retail; Health", "health;retail", true},
		{ColIndustries, "Retail", "Retail; Health", false},
		{ColContactEmail, "Ana@Example.com", "ana@example.com", true},
		{ColName, "Deal 1", "deal 1", false},
		{ColShareWithMicrosoftSellers, "Yes", "yes", true},
	} {
		if got := SameCanonical(tc.c, tc.a, tc.b); got != tc.want {
			t.Errorf("SameCanonical(%s, %q, %q) = %v, want %v", tc.c, tc.a, tc.b, got, tc.want)
		}
	}
}

// TestPulledHeader recognises a pulled workbook's hidden columns.
func TestPulledHeader(t *testing.T) {
	if c, ok := PulledHeader("Pulled Deal Value"); !ok || c != ColDealValue {
		t.Errorf("Pulled Deal Value: %v %v", c, ok)
	}
	if c, ok := PulledHeader("pulled etag"); !ok || c.Valid() {
		t.Errorf("pulled etag: %v %v", c, ok)
	}
	for _, h := range []string{"Deal Value", "Pulled", "Pulled Nonsense"} {
		if _, ok := PulledHeader(h); ok {
			t.Errorf("%q read as a pulled column", h)
		}
	}
}
