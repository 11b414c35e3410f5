package importer_test

import (
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/importer"
)

// pulledRow reads one row of a pulled workbook: the visible cells, then the
// hidden "Pulled …" ones.
func pulledRow(t *testing.T, cols []string, now, pulled []string, opts importer.Options) (*refbatch.Row, []refbatch.Finding) {
	t.Helper()
	headers := append([]string{}, cols...)
	for _, c := range cols {
		headers = append(headers, refbatch.PulledPrefix+c)
	}
	row, finds, err := importer.RowFromRecord(headers, append(append([]string{}, now...), pulled...), opts)
	if err != nil {
		t.Fatal(err)
	}
	return row, finds
}

// TestPulledRowKeepsOnlyEdits: a pulled row says only what the user
// changed; Status and Substatus, and the Team Member cells, go together; a
// pulled value re-saved by a spreadsheet in the file's own formats reads
// as what was pulled.
func TestPulledRowKeepsOnlyEdits(t *testing.T) {
	cols := []string{"Referral ID", "Name", "Status", "Substatus", "Deal Value", "Closing Date",
		"Team Member First Name", "Team Member Last Name", "Team Member Email", "Team Member Phone"}
	pulled := []string{"R1", "Deal", "Active", "Accepted", "52000", "2027-10-15", "Kai", "Ito", "kai@p.example", "111"}

	row, _ := pulledRow(t, cols, pulled, pulled, importer.Options{})
	if !row.IsPulled() || !row.Filled.Without(refbatch.ColReferralID).Empty() {
		t.Errorf("unchanged row: filled %v", row.Filled.Columns())
	}

	edited := append([]string{}, pulled...)
	edited[3] = "Engaged" // Substatus only: Status goes with it
	edited[9] = "222"     // the phone only: the member goes whole
	edited[4] = "60000"   // an edit
	row, _ = pulledRow(t, cols, edited, pulled, importer.Options{})
	want := []refbatch.Column{refbatch.ColReferralID, refbatch.ColStatus, refbatch.ColSubstatus, refbatch.ColDealValue,
		refbatch.ColTeamMemberFirstName, refbatch.ColTeamMemberLastName, refbatch.ColTeamMemberEmail, refbatch.ColTeamMemberPhone}
	for _, c := range want {
		if !row.Filled.Has(c) {
			t.Errorf("edited row: %s not kept", c)
		}
	}
	if row.Filled.Has(refbatch.ColName) || row.Filled.Has(refbatch.ColClosingDate) {
		t.Errorf("edited row keeps unchanged cells: %v", row.Filled.Columns())
	}

	// Re-saved by a spreadsheet in US formats.
	resaved := append([]string{}, pulled...)
	resaved[4], resaved[5] = "52,000", "10/15/2027"
	row, _ = pulledRow(t, cols, resaved, resaved, importer.Options{})
	if row.Filled.Has(refbatch.ColDealValue) || row.Filled.Has(refbatch.ColClosingDate) {
		t.Errorf("re-saved (US) row reads as edited: %v", row.Filled.Columns())
	}
	// Re-saved with the file's decimal comma and day-first dates.
	resaved = append([]string{}, pulled...)
	resaved[4], resaved[5] = "52.000,00", "15/10/2027"
	row, _ = pulledRow(t, cols, resaved, resaved, importer.Options{DecimalComma: true, DateOrder: importer.DMY})
	if row.Filled.Has(refbatch.ColDealValue) || row.Filled.Has(refbatch.ColClosingDate) {
		t.Errorf("re-saved row reads as edited: %v", row.Filled.Columns())
	}
}

// TestPulledRowRefusesAnotherReferralsValues: a row whose Referral ID is
// not the one it was pulled with (a pasted row, a sort of some columns) is
// refused; a row added to the pulled workbook is a create.
func TestPulledRowRefusesAnotherReferralsValues(t *testing.T) {
	cols := []string{"Referral ID", "Name", "Deal Value"}
	pulled := []string{"R1", "Deal", "52000"}
	_, finds := pulledRow(t, cols, []string{"R2", "Deal", "52000"}, pulled, importer.Options{})
	if len(finds) != 1 || finds[0].Rule != refbatch.RulePullMismatch || finds[0].Severity != refbatch.SeverityError || !strings.Contains(finds[0].Message, "R1") {
		t.Errorf("pasted row: %+v", finds)
	}
	_, finds = pulledRow(t, cols, []string{"", "Deal", "52000"}, pulled, importer.Options{})
	if len(finds) != 1 || finds[0].Rule != refbatch.RulePullMismatch {
		t.Errorf("copied row with its Referral ID cleared: %+v", finds)
	}
	row, finds := pulledRow(t, cols, []string{"", "New deal", "40000"}, []string{"", "", ""}, importer.Options{})
	if len(finds) != 0 || row.IsPulled() || !row.Filled.Has(refbatch.ColDealValue) {
		t.Errorf("added row: %+v, filled %v", finds, row.Filled.Columns())
	}
}

// TestPulledWorkbookWithoutAPulledColumn: a column whose hidden "Pulled …"
// column is gone is not sent on pulled rows, and the header says so.
func TestPulledWorkbookWithoutAPulledColumn(t *testing.T) {
	headers := []string{"Referral ID", "Deal Value", "Notes", refbatch.PulledPrefix + "Referral ID", refbatch.PulledPrefix + "Notes"}
	_, _, err := importer.RowFromRecord(headers, []string{"R1", "52000", "n", "R1", "n"}, importer.Options{})
	if err == nil || !strings.Contains(err.Error(), "Pulled Deal Value") {
		t.Fatalf("want the header finding naming the missing column, got %v", err)
	}
}
