package partnercenter_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// newSandbox serves a real sandbox over HTTP for the test's lifetime.
func newSandbox(t *testing.T, opts sandbox.Options) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

// docReferral decodes a document's request example; replace substitutes
// its placeholders.
func docReferral(t *testing.T, name string, replace ...string) *partnercenter.Referral {
	t.Helper()
	b := readDoc(t, name)
	for i := 0; i+1 < len(replace); i += 2 {
		b = bytes.ReplaceAll(b, []byte(replace[i]), []byte(replace[i+1]))
	}
	var r partnercenter.Referral
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func docPatch(t *testing.T, name string) []partnercenter.PatchOp {
	t.Helper()
	var ops []partnercenter.PatchOp
	if err := json.Unmarshal(readDoc(t, name), &ops); err != nil {
		t.Fatal(err)
	}
	return ops
}

// TestSandboxRoundTrip drives every call against the sandbox with the
// documents' own examples.
func TestSandboxRoundTrip(t *testing.T) {
	_, srv := newSandbox(t, sandbox.Options{Token: testToken})
	var seen attempts
	c := newTestClient(t, srv.URL, partnercenter.WithObserver(seen.observe))
	ctx := t.Context()

	var created []*partnercenter.Referral
	t.Run("create the documents' examples", func(t *testing.T) {
		first, err := c.Create(ctx, docReferral(t, "create-request.json"))
		if err != nil {
			t.Fatal(err)
		}
		if first.ID == "" || first.EngagementID == "" || first.ETag == "" || first.CreatedDateTime == nil {
			t.Errorf("not populated: %+v", first)
		}
		if first.Name != "Test Cosell Invite_20" || first.CustomerProfile.Name != "Contoso Customer Inc" ||
			*first.Details.DealValue != 50000 || len(first.CustomerProfile.Team) != 2 {
			t.Errorf("content lost: %+v", first)
		}
		partnerLed, err := c.Create(ctx, docReferral(t, "cosell-partner-led-request.json"))
		if err != nil {
			t.Fatal(err)
		}
		microsoft, err := c.Create(ctx, docReferral(t, "cosell-microsoft-request.json",
			"<ENTER_ENGAGEMENT_ID_OF_PARTNER_REFERRAL>", partnerLed.EngagementID))
		if err != nil {
			t.Fatal(err)
		}
		if microsoft.EngagementID != partnerLed.EngagementID || microsoft.OrganizationID != partnercenter.MicrosoftOrganizationID {
			t.Errorf("link: engagement %s vs %s, organization %s", microsoft.EngagementID, partnerLed.EngagementID, microsoft.OrganizationID)
		}
		created = []*partnercenter.Referral{first, partnerLed, microsoft}
	})
	if len(created) != 3 {
		t.FailNow()
	}
	partnerLed := created[1]

	t.Run("get", func(t *testing.T) {
		for _, want := range created {
			got, err := c.Get(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID || got.ETag != want.ETag || got.Name != want.Name {
				t.Errorf("get %s = %s %s %q, want %s %q", want.ID, got.ID, got.ETag, got.Name, want.ETag, want.Name)
			}
		}
	})

	t.Run("patch without If-Match or Prefer", func(t *testing.T) {
		r, err := c.Patch(ctx, partnerLed.ID, docPatch(t, "patch-deal-value-notes.json"), "", false)
		if err != nil || r != nil {
			t.Fatalf("Patch = %v, %v; want nil, nil (204)", r, err)
		}
		got, err := c.Get(ctx, partnerLed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Details.DealValue != 10000 || got.Details.Notes != "Lorem ipsum dolor sit amet." {
			t.Errorf("not applied: %+v", got.Details)
		}
		if got.ETag == partnerLed.ETag {
			t.Error("eTag unchanged by a patch")
		}
		partnerLed = got
	})

	t.Run("patch with If-Match and Prefer", func(t *testing.T) {
		r, err := c.Patch(ctx, partnerLed.ID, docPatch(t, "patch-add-team-member.json"), partnerLed.ETag, true)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil || r.ETag == "" || r.ETag == partnerLed.ETag {
			t.Fatalf("representation = %+v", r)
		}
		if n := len(r.Team); n == 0 || r.Team[n-1].Email != "jane.doe@contoso.com" {
			t.Errorf("team = %+v", r.Team)
		}
		stale := partnerLed.ETag
		partnerLed = r

		before := len(seen.list())
		_, err = c.Patch(ctx, partnerLed.ID, docPatch(t, "patch-status-won.json"), stale, true)
		if partnercenter.Classify(err) != partnercenter.Conflict || partnercenter.IsInDoubt(err) {
			t.Errorf("stale If-Match: Classify %v, IsInDoubt %v: %v", partnercenter.Classify(err), partnercenter.IsInDoubt(err), err)
		}
		if n := len(seen.list()) - before; n != 1 {
			t.Errorf("a 412 was sent %d times", n)
		}
		won, err := c.Patch(ctx, partnerLed.ID, docPatch(t, "patch-status-won.json"), partnerLed.ETag, true)
		if err != nil {
			t.Fatal(err)
		}
		if won.Status != partnercenter.StatusClosed || won.Substatus != partnercenter.SubstatusWon {
			t.Errorf("status = %s/%s", won.Status, won.Substatus)
		}
	})

	t.Run("eligibility", func(t *testing.T) {
		pe, err := c.PartnerEligibility(ctx)
		if err != nil || !pe.IsEligible {
			t.Fatalf("PartnerEligibility = %+v, %v", pe, err)
		}
		re, err := c.ReferralEligibility(ctx, created[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range slices.Concat(re.PassedPolicies, re.FailedPolicies) {
			names = append(names, p.PolicyName)
		}
		slices.Sort(names)
		want := []string{partnercenter.PolicyCustomerManaged, partnercenter.PolicyDealTypeCosellOrPartnerLed,
			partnercenter.PolicyDealValueEligible, partnercenter.PolicyMicrosoftReferralAcceptedOrWon, partnercenter.PolicySolutionIncentiveEligible}
		if !slices.Equal(names, want) {
			t.Errorf("policies = %v", names)
		}
		if re.IsEligible != (len(re.FailedPolicies) == 0) {
			t.Errorf("isEligible %v with failed %+v", re.IsEligible, re.FailedPolicies)
		}
		_, err = c.ReferralEligibility(ctx, "00000000-0000-0000-0000-000000000000")
		if ae, ok := errors.AsType[*partnercenter.APIError](err); !ok || ae.StatusCode != 404 || partnercenter.Classify(err) != partnercenter.Permanent {
			t.Errorf("unknown referral: %v", err)
		}
	})
}

// TestSandboxList pages through more referrals than fit on three pages,
// with and without filters, in both orders.
func TestSandboxList(t *testing.T) {
	_, srv := newSandbox(t, sandbox.Options{PageSize: 2})
	var seen attempts
	c := newTestClient(t, srv.URL, partnercenter.WithObserver(seen.observe))
	ctx := t.Context()
	var ids []string
	for i := range 7 {
		r := docReferral(t, "create-request.json")
		r.Name = fmt.Sprintf("Referral %d", i)
		r.ExternalReferenceID = fmt.Sprintf("CRM-%d", i)
		if i%2 == 1 {
			r.Status, r.Substatus = partnercenter.StatusActive, partnercenter.SubstatusAccepted
		}
		got, err := c.Create(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ID)
	}
	partnerLed, err := c.Create(ctx, docReferral(t, "cosell-partner-led-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	microsoft, err := c.Create(ctx, docReferral(t, "cosell-microsoft-request.json", "<ENTER_ENGAGEMENT_ID_OF_PARTNER_REFERRAL>", partnerLed.EngagementID))
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(ids), partnerLed.ID, microsoft.ID)
	reversed := slices.Clone(all)
	slices.Reverse(reversed)

	tests := []struct {
		name      string
		q         partnercenter.ListQuery
		want      []string
		wantPages int
	}{
		{"all, 2 a page", partnercenter.ListQuery{}, all, 5},
		{"newest first", partnercenter.ListQuery{OrderBy: "createdDateTime desc"}, reversed, 5},
		// $top is a total (the Swagger), whatever the page size.
		{"newest 3", partnercenter.ListQuery{OrderBy: "createdDateTime desc", Top: 3}, reversed[:3], 2},
		{"by engagement", partnercenter.ListQuery{Filter: partnercenter.FilterEq("engagementId", partnerLed.EngagementID)},
			[]string{partnerLed.ID, microsoft.ID}, 1},
		{"active ones", partnercenter.ListQuery{Filter: partnercenter.FilterEq("status", "Active") + " and " + partnercenter.FilterEq("substatus", "Accepted")},
			[]string{ids[1], ids[3], ids[5]}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(seen.list())
			var got []string
			for r, err := range c.List(ctx, tt.q) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids\n got %v\nwant %v", got, tt.want)
			}
			if pages := len(seen.list()) - before; pages != tt.wantPages {
				t.Errorf("%d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

// TestSandboxClassification gets each class of error from the sandbox
// itself.
func TestSandboxClassification(t *testing.T) {
	sb, srv := newSandbox(t, sandbox.Options{Token: testToken})
	c := newTestClient(t, srv.URL, partnercenter.WithRetryPolicy(partnercenter.RetryPolicy{MaxAttempts: 1}))
	ctx := t.Context()
	ref, err := c.Create(ctx, docReferral(t, "create-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		faults sandbox.Faults
		do     func() error
		want   partnercenter.Class
		status int
	}{
		{"401 wrong token", sandbox.Faults{}, func() error {
			bad := newTestClient(t, srv.URL, partnercenter.WithTokenSource(partnercenter.StaticToken("wrong")))
			_, err := bad.Get(ctx, ref.ID)
			return err
		}, partnercenter.Fatal, 401},
		{"400 missing fields", sandbox.Faults{}, func() error {
			_, err := c.Create(ctx, &partnercenter.Referral{Name: "no customer"})
			return err
		}, partnercenter.Permanent, 400},
		{"400 bad transition", sandbox.Faults{}, func() error {
			_, err := c.Patch(ctx, ref.ID, []partnercenter.PatchOp{{Op: "replace", Path: "/status", Value: "Bogus"}}, "", false)
			return err
		}, partnercenter.Permanent, 400},
		{"404", sandbox.Faults{}, func() error {
			_, err := c.Get(ctx, "00000000-0000-0000-0000-000000000000")
			return err
		}, partnercenter.Permanent, 404},
		{"412", sandbox.Faults{}, func() error {
			_, err := c.Patch(ctx, ref.ID, []partnercenter.PatchOp{{Op: "replace", Path: "/name", Value: "x"}}, `"stale"`, false)
			return err
		}, partnercenter.Conflict, 412},
		{"429 rate limit", sandbox.Faults{RateLimit: 1}, func() error {
			// The first 429 is the answer: after it the client waits out
			// its Retry-After, and the bucket refills meanwhile.
			for range 3 {
				if _, err := c.Get(ctx, ref.ID); err != nil {
					return err
				}
			}
			return nil
		}, partnercenter.RetryAfter, 429},
		{"5xx fault", sandbox.Faults{FailRate: 1, Seed: 3}, func() error {
			_, err := c.Get(ctx, ref.ID)
			return err
		}, partnercenter.Retryable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.SetFaults(tt.faults)
			defer sb.SetFaults(sandbox.Faults{})
			err := tt.do()
			got := partnercenter.Classify(err)
			if tt.status == 0 { // 500, or 503 with Retry-After
				if got != partnercenter.Retryable && got != partnercenter.RetryAfter {
					t.Errorf("Classify = %v (%v)", got, err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Classify = %v, want %v (%v)", got, tt.want, err)
			}
			ae, ok := errors.AsType[*partnercenter.APIError](err)
			if !ok || ae.StatusCode != tt.status || ae.Code == "" || ae.Message == "" || ae.RequestID == "" {
				t.Errorf("APIError = %+v", ae)
			}
			if tt.status == 429 && ae.Wait < time.Second {
				t.Errorf("RetryAfter = %v", ae.Wait)
			}
		})
	}
}

// TestSandboxDropAfterCommit: the sandbox commits a write and drops the
// connection. A create is not repeated (exactly one referral exists) and
// its error is in doubt; the referral is then found through the list, as
// the engine reconciles. A patch without If-Match is not repeated either.
func TestSandboxDropAfterCommit(t *testing.T) {
	sb, srv := newSandbox(t, sandbox.Options{})
	var seen attempts
	c := newTestClient(t, srv.URL, partnercenter.WithObserver(seen.observe))
	ctx := t.Context()

	sb.SetFaults(sandbox.Faults{DropRate: 1, Seed: 1})
	r := docReferral(t, "create-request.json")
	r.ExternalReferenceID = "CRM-in-doubt"
	_, err := c.Create(ctx, r)
	if err == nil {
		t.Fatal("a dropped create succeeded")
	}
	if !partnercenter.IsInDoubt(err) || partnercenter.Classify(err) != partnercenter.Retryable {
		t.Errorf("IsInDoubt %v, Classify %v: %v", partnercenter.IsInDoubt(err), partnercenter.Classify(err), err)
	}
	if te, ok := errors.AsType[*partnercenter.TransportError](err); !ok || !te.Sent {
		t.Errorf("want a sent TransportError, got %#v", err)
	}
	stored := sb.Referrals()
	if len(stored) != 1 || stored[0].ExternalReferenceID != "CRM-in-doubt" {
		t.Fatalf("stored %d referrals, want exactly 1", len(stored))
	}
	if n := len(seen.list()); n != 1 {
		t.Errorf("create sent %d times", n)
	}

	_, err = c.Patch(ctx, stored[0].ID, []partnercenter.PatchOp{{Op: "replace", Path: "/details/notes", Value: "after drop"}}, "", false)
	if !partnercenter.IsInDoubt(err) || len(seen.list()) != 2 {
		t.Errorf("patch: IsInDoubt %v after %d attempts: %v", partnercenter.IsInDoubt(err), len(seen.list())-1, err)
	}

	// Reads are not dropped by the sandbox; reconcile as the engine would.
	var found *partnercenter.Referral
	for ref, err := range c.List(ctx, partnercenter.ListQuery{OrderBy: "createdDateTime desc", Top: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if ref.ExternalReferenceID == "CRM-in-doubt" {
			found = &ref
			break
		}
	}
	if found == nil || found.ID != stored[0].ID || found.Details.Notes != "after drop" {
		t.Errorf("reconciled %+v", found)
	}
}

// TestSandboxFailRateRetried: under a 50 % failure rate every read
// succeeds within the retry bound, a create is never repeated, and
// nothing is created twice.
func TestSandboxFailRateRetried(t *testing.T) {
	sb, srv := newSandbox(t, sandbox.Options{})
	var seen attempts
	p := fastRetries
	p.MaxAttempts = 10
	c := newTestClient(t, srv.URL, partnercenter.WithObserver(seen.observe), partnercenter.WithRetryPolicy(p))
	ctx := t.Context()
	ref, err := c.Create(ctx, docReferral(t, "create-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	sb.SetFaults(sandbox.Faults{FailRate: 0.5, Seed: 7})
	retried := 0
	for range 20 {
		before := len(seen.list())
		got, err := c.Get(ctx, ref.ID)
		if err != nil {
			t.Fatalf("get failed within %d attempts: %v", p.MaxAttempts, err)
		}
		if got.ID != ref.ID {
			t.Fatalf("got %s", got.ID)
		}
		n := len(seen.list()) - before
		if n > 1 {
			retried++
		}
		if n > p.MaxAttempts {
			t.Errorf("%d attempts", n)
		}
	}
	if retried == 0 {
		t.Error("no read needed a retry: the fault was not exercised")
	}

	creates, failed := 0, 0
	for i := range 10 {
		r := docReferral(t, "create-request.json")
		r.ExternalReferenceID = fmt.Sprintf("CRM-fail-%d", i)
		before := len(seen.list())
		if _, err := c.Create(ctx, r); err != nil {
			failed++
			if c := partnercenter.Classify(err); c != partnercenter.Retryable && c != partnercenter.RetryAfter {
				t.Errorf("create error class %v: %v", c, err)
			}
		} else {
			creates++
		}
		if n := len(seen.list()) - before; n != 1 {
			t.Errorf("create %d sent %d times", i, n)
		}
	}
	if failed == 0 {
		t.Error("no create failed: the fault was not exercised")
	}
	if got := len(sb.Referrals()); got != 1+creates {
		t.Errorf("%d referrals stored, want %d", got, 1+creates)
	}
}
