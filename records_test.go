package refbatch

import (
	"reflect"
	"testing"
	"time"
)

// TestRowFactsRoundTrip: the values a waiting row keeps for sync come back
// as they were, without the row's cells and header.
func TestRowFactsRoundTrip(t *testing.T) {
	price := 12.5
	row := &Row{
		Header: NewHeader("in.xlsx", "Deals", 1, []string{"CRM ID"}), Number: 7, Raw: []string{"CRM-1"},
		Action: ActionCreate, ExternalReferenceID: "CRM-1", DealType: DealTypeCosell, RegisterDeal: true,
		DealValue: 60000, Currency: "USD", SolutionIDs: []string{"SOL-1", "SOL-2"},
		ContractValue: 70000, ContractSignDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		DeployedOnAzure: true, SolutionLines: []SolutionLine{{ID: "SOL-1", Price: &price}},
	}
	row.Filled = row.Filled.With(ColExternalReferenceID).With(ColRegisterDeal).With(ColContractValue)
	row.Invalid = row.Invalid.With(ColNotes)
	facts, err := RowFacts(row)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RowFromFacts(facts)
	if err != nil {
		t.Fatal(err)
	}
	want := *row
	want.Header, want.Raw, want.Cells = nil, nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
	}
	if row.Header == nil || row.Raw == nil {
		t.Error("RowFacts changed the row it was given")
	}
}
