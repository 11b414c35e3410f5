package batch_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
)

// TestRowsThatDependOnRows: an update row naming, by CRM ID only, the
// referral a create row above it makes: plan predicts an update of that
// referral (not a failure), and run creates, then updates it.
func TestRowsThatDependOnRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	csv := "Action,CRM ID,Opportunity Name,Deal Type,Account Name,Country,Amount,Currency,Close Date\n" +
		"create,DEP-1,Deal one,Private,Contoso,US,50000,USD,2027-09-30\n" +
		"update,DEP-1,,,,,65000,,\n"
	if err := os.WriteFile(input, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	sb := startSandbox(t, nil)
	c := newClient(t, filepath.Join(dir, "j.db"), sb.Endpoint(), batch.Config{})
	plans, _, err := c.Plan(ctx, input, batch.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[1].Action != refbatch.ActionUpdate || !plans[1].Valid || len(plans[1].Requests) == 0 ||
		!strings.Contains(plans[1].Note, "an earlier row of the file creates") {
		t.Fatalf("plan of the dependent row: %+v", plans[1])
	}
	res, err := c.Run(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[refbatch.OutcomeCreated] != 1 || res.Counts[refbatch.OutcomeUpdated] != 1 {
		t.Errorf("run: %v", res)
	}
	refs := sb.Server().Referrals()
	if len(refs) != 1 || refs[0].Details == nil || refs[0].Details.DealValue == nil || *refs[0].Details.DealValue != 65000 {
		t.Errorf("Partner Center holds %+v", refs)
	}
}
