package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// runSandboxDemo starts a sandbox on a free loopback port and walks a co-sell
// deal through the API with the real client, printing every request: the
// quickest way to see what refbatch sends and what Partner Center answers.
func runSandboxDemo(ctx context.Context, e env) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	const acceptAfter = 300 * time.Millisecond
	srv := sandbox.NewHTTPServer("", sandbox.New(sandbox.Options{AcceptAfter: acceptAfter}))
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "sandbox listening on %s (in-process; any Bearer token is accepted)\n", base)

	client, err := partnercenter.NewClient(base,
		partnercenter.WithTokenSource(partnercenter.StaticToken("demo-token")),
		partnercenter.WithCorrelationID("refbatch-demo"),
		partnercenter.WithObserver(func(a partnercenter.Attempt) { printAttempt(e.stdout, a) }),
	)
	if err != nil {
		return err
	}
	return demoCosellDeal(ctx, client, e.stdout, acceptAfter)
}

func printAttempt(w io.Writer, a partnercenter.Attempt) {
	status := fmt.Sprint(a.StatusCode)
	if a.Err != nil && a.StatusCode == 0 {
		status = "no answer: " + a.Err.Error()
	}
	fmt.Fprintf(w, "   %s %s → %s  (client-request-id %s, %s)\n", a.Method, a.Path, status, a.ClientRequestID, a.Duration.Round(time.Microsecond))
}

func demoCosellDeal(ctx context.Context, c *partnercenter.Client, w io.Writer, acceptAfter time.Duration) error {
	closing := time.Now().UTC().AddDate(0, 3, 0).Truncate(24 * time.Hour)
	matched := true
	customer := &partnercenter.CustomerProfile{
		Name:               "Contoso Manufacturing",
		IsMatchingComplete: &matched,
		Address:            &partnercenter.Address{AddressLine1: "One Microsoft Way", City: "Redmond", State: "WA", PostalCode: "98052", Country: "US"},
		Team:               []partnercenter.Member{{FirstName: "Sue", LastName: "Smith", Email: "sue.smith@contoso.com", PhoneNumber: "4255550100"}},
	}
	details := &partnercenter.ReferralDetails{
		DealValue: partnercenter.NewAmount(120000), Currency: "USD", ClosingDateTime: &closing,
		Notes:        "Migrate the plant-floor data platform to Azure.",
		Requirements: &partnercenter.Requirements{Solutions: []partnercenter.Solution{{ID: "DEAL-123456-XYZ", Name: "Contoso Experience Platform"}}},
	}

	fmt.Fprintln(w, "\n1. create a Partner-led deal visible to Microsoft sellers")
	deal, err := c.Create(ctx, &partnercenter.Referral{
		Name: "Contoso – Azure data platform", ExternalReferenceID: "CRM-1001",
		Type: partnercenter.TypeShared, Qualification: partnercenter.QualificationSalesQualified,
		CustomerProfile: customer, Details: details,
		Consent: &partnercenter.Consent{ConsentToShareInfoWithOthers: true, ConsentToContact: true, ConsentToShareReferralWithMicrosoftSellers: true},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   id %s, engagement %s, %s/%s, eTag %s\n", deal.ID, deal.EngagementID, deal.Status, deal.Substatus, deal.ETag)

	fmt.Fprintln(w, "\n2. link it to a Microsoft referral (co-sell): a second POST with the same engagementId")
	msft, err := c.Create(ctx, &partnercenter.Referral{
		EngagementID: deal.EngagementID, OrganizationID: partnercenter.MicrosoftOrganizationID, OrganizationName: "Microsoft",
		Name: deal.Name, Type: partnercenter.TypeShared, Qualification: partnercenter.QualificationSalesQualified,
		CustomerProfile: customer, Details: &partnercenter.ReferralDetails{DealValue: details.DealValue, Currency: "USD", ClosingDateTime: &closing, Notes: "Proof of concept requested."},
		Consent:       &partnercenter.Consent{ConsentToShareInfoWithOthers: true, ConsentToContact: true, ConsentToShareReferralWithMicrosoftSellers: true},
		Target:        []partnercenter.ReferralTarget{{Type: partnercenter.TargetBusinessProfileLocation, ID: partnercenter.MicrosoftOrganizationID}},
		InviteContext: &partnercenter.InviteContext{Notes: "Proof of concept / Demo", AssistanceRequestCode: "ProofOfConceptOrDemo"},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   Microsoft referral %s joined engagement %s, %s/%s\n", msft.ID, msft.EngagementID, msft.Status, msft.Substatus)

	fmt.Fprintln(w, "\n3. update the deal value with a JSON Patch, guarded by If-Match")
	updated, err := c.Patch(ctx, deal.ID, []partnercenter.PatchOp{
		{Op: partnercenter.OpReplace, Path: "/details/dealValue", Value: "150000"},
		{Op: partnercenter.OpReplace, Path: "/details/notes", Value: "Scope grew to two plants."},
	}, deal.ETag, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   deal value now %.0f %s, eTag %s → %s\n", float64(*updated.Details.DealValue), updated.Details.Currency, deal.ETag, updated.ETag)

	fmt.Fprintln(w, "\n4. the same patch with the old eTag is refused: someone else changed the deal")
	_, err = c.Patch(ctx, deal.ID, []partnercenter.PatchOp{{Op: partnercenter.OpReplace, Path: "/details/notes", Value: "stale"}}, deal.ETag, false)
	if partnercenter.Classify(err) != partnercenter.Conflict {
		return fmt.Errorf("demo: stale eTag: want a conflict, got %v", err)
	}
	fmt.Fprintf(w, "   %v\n", err)

	fmt.Fprintf(w, "\n5. list the engagement (the sandbox accepts Microsoft's side after %s)\n", acceptAfter)
	select {
	case <-time.After(acceptAfter):
	case <-ctx.Done():
		return ctx.Err()
	}
	for r, err := range c.List(ctx, partnercenter.ListQuery{Filter: partnercenter.FilterEq("engagementId", deal.EngagementID), OrderBy: "createdDateTime asc"}) {
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "   %-36s %-10s %s/%s\n", r.ID, r.OrganizationName, r.Status, r.Substatus)
	}

	fmt.Fprintln(w, "\n6. ask whether the deal can be registered")
	elig, err := c.ReferralEligibility(ctx, deal.ID)
	if err != nil {
		return err
	}
	var passed, failed []string
	for _, p := range elig.PassedPolicies {
		passed = append(passed, p.PolicyName)
	}
	for _, p := range elig.FailedPolicies {
		failed = append(failed, p.PolicyName)
	}
	fmt.Fprintf(w, "   eligible: %v; passed: %s", elig.IsEligible, strings.Join(passed, ", "))
	if len(failed) > 0 {
		fmt.Fprintf(w, "; failed: %s", strings.Join(failed, ", "))
	}
	fmt.Fprintln(w)
	if !elig.IsEligible {
		return errors.New("demo: the deal should be eligible for registration")
	}

	fmt.Fprintln(w, "\n7. register the deal (add /registrations/-)")
	signed := time.Now().UTC().Truncate(24 * time.Hour)
	end := signed.AddDate(1, 0, 0)
	_, err = c.Patch(ctx, deal.ID, []partnercenter.PatchOp{{Op: partnercenter.OpAdd, Path: "/registrations/-", Value: partnercenter.Registration{
		Type:     partnercenter.RegistrationTypeAzureIPCoSell,
		Contract: &partnercenter.Contract{Currency: "USD", Value: partnercenter.NewAmount(150000), Term: "Finite", SignDateTime: &signed, StartDateTime: &signed, EndDateTime: &end},
		SolutionDetails: []partnercenter.RegistrationSolution{{
			ID: "DEAL-123456-XYZ", IsDeployedOnAzure: true, PrimaryDeploymentOn: "Partner", PricingModel: "Other",
			Value: partnercenter.NewAmount(150000), Currency: "USD",
		}},
	}}}, "", false)
	if err != nil {
		return err
	}
	final, err := c.Get(ctx, deal.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   %d registration(s) on %s, eTag %s\n", len(final.Registrations), final.ID, final.ETag)
	fmt.Fprintln(w, "\ndone: every call above went through refbatch's Partner Center client (package partnercenter).")
	return nil
}
