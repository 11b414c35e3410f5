package partnercenter_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

func ExampleClient_Create() {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer srv.Close()

	c, err := partnercenter.NewClient(srv.URL,
		partnercenter.WithTokenSource(partnercenter.StaticToken("sandbox-token")),
		partnercenter.WithCorrelationID("4c9c2b46-0d0e-4b8e-9d3c-3f3c7e1f2a10"))
	if err != nil {
		log.Fatal(err)
	}

	// Choose the client-request-id first, so it can be journaled before
	// the request leaves.
	id := partnercenter.NewClientRequestID()
	ctx := partnercenter.WithClientRequestID(context.Background(), id)

	ref, err := c.Create(ctx, &partnercenter.Referral{
		Name:                "Contoso pilot",
		ExternalReferenceID: "CRM-0042",
		Type:                partnercenter.TypeIndependent,
		Qualification:       partnercenter.QualificationSalesQualified,
		CustomerProfile: &partnercenter.CustomerProfile{
			Name:    "Contoso Customer Inc",
			Address: &partnercenter.Address{City: "Redmond", State: "WA", Country: "US"},
		},
		Consent: &partnercenter.Consent{ConsentToShareInfoWithOthers: true, ConsentToContact: true},
		Details: &partnercenter.ReferralDetails{DealValue: partnercenter.NewAmount(50000), Currency: "USD"},
	})
	switch {
	case partnercenter.IsInDoubt(err):
		// The referral may exist: look it up by CRM-0042 before creating again.
		log.Fatalf("in doubt (client-request-id %s): %v", id, err)
	case err != nil:
		log.Fatalf("%v: %v", partnercenter.Classify(err), err)
	}
	fmt.Println(ref.Name, ref.Status, ref.Substatus, ref.ETag != "")
	// Output: Contoso pilot New Pending true
}

func ExampleClient_List() {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{PageSize: 2}))
	defer srv.Close()
	c, err := partnercenter.NewClient(srv.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("sandbox-token")))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5 {
		_, err := c.Create(ctx, &partnercenter.Referral{
			Name:                fmt.Sprintf("Deal %d", i),
			ExternalReferenceID: fmt.Sprintf("CRM-%d", i),
			Type:                partnercenter.TypeIndependent,
			CustomerProfile:     &partnercenter.CustomerProfile{Name: "Fabrikam", Address: &partnercenter.Address{Country: "US"}},
			Consent:             &partnercenter.Consent{},
			Details:             &partnercenter.ReferralDetails{DealValue: partnercenter.NewAmount(1000), Currency: "USD"},
		})
		if err != nil {
			log.Fatal(err)
		}
	}

	// Newest first (this sandbox answers two a page): List follows
	// @odata.nextLink on its own; breaking out of the loop stops fetching
	// pages.
	q := partnercenter.ListQuery{
		Filter:  partnercenter.FilterEq("status", "New"),
		OrderBy: "createdDateTime desc",
	}
	for ref, err := range c.List(ctx, q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ref.ExternalReferenceID, ref.Name)
		if ref.ExternalReferenceID == "CRM-1" {
			break
		}
	}
	// Output:
	// CRM-4 Deal 4
	// CRM-3 Deal 3
	// CRM-2 Deal 2
	// CRM-1 Deal 1
}
