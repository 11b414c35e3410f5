package refbatch

import (
	"strconv"
	"testing"
)

func TestCloseReasonText(t *testing.T) {
	for _, tc := range []struct {
		substatus, reason, want string
		ok                      bool
	}{
		{"Lost", "3", "Customer chose another vendor", true},
		{"Lost", "3.0", "Customer chose another vendor", true},
		{"Declined", "8", "Others", true},
		{"Error", "1", "Duplicate - created through bulk upload", true},
		{"Lost", "9", "9", false},
		{"Won", "1", "1", false},
		{"Lost", "went with a competitor", "went with a competitor", true},
		// The template's drop-down writes the code with its text.
		{"Lost", "3 - Customer chose another vendor", "Customer chose another vendor", true},
		{"Lost", "3 - customer chose another vendor", "Customer chose another vendor", true},
		{"Error", "1 - Duplicate - created through bulk upload", "Duplicate - created through bulk upload", true},
		// A Declined/Lost reason picked for an Error row is not Error's code 1.
		{"Error", "1 - Project budget isn't adequate", "1 - Project budget isn't adequate", false},
		{"Lost", "12 - Others", "12 - Others", false},
	} {
		got, ok := CloseReasonText(tc.substatus, tc.reason)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CloseReasonText(%q, %q) = %q, %v; want %q, %v", tc.substatus, tc.reason, got, ok, tc.want, tc.ok)
		}
	}
	for _, substatus := range []string{"Lost", "Error"} {
		for _, v := range CloseReasonCodes(substatus) {
			if _, ok := CloseReasonText(substatus, v); !ok {
				t.Errorf("%s: the template's %q does not read back", substatus, v)
			}
		}
	}
}

func TestSalesStagePercent(t *testing.T) {
	for stage, want := range map[string]int{SalesStageCreated: 10, SalesStageQualify: 20, SalesStageDevelop: 40, SalesStagePropose: 60, SalesStageClose: 80, SalesStageWon: 100, "Nope": 0} {
		if got := SalesStagePercent(stage); got != want {
			t.Errorf("SalesStagePercent(%q) = %d, want %d", stage, got, want)
		}
		if want > 0 && FixedAliases(ColSalesStage)[strconv.Itoa(want)+"%"] != stage {
			t.Errorf("%d%% does not read as %s", want, stage)
		}
	}
}
