package sandbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// listAll follows @odata.nextLink from a first query and returns the names
// of every page's referrals, page by page.
func listAll(t *testing.T, c *client, query string) [][]string {
	t.Helper()
	var pages [][]string
	next := "/v1.0/engagements/referrals" + query
	for next != "" && len(pages) < 100 {
		r := c.do(http.MethodGet, next, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.StatusCode, r.body)
		}
		page := decode[pc.ReferralPage](t, r.body)
		var names []string
		for _, ref := range page.Value {
			names = append(names, ref.Name)
		}
		pages = append(pages, names)
		if page.NextLink != "" && !strings.HasPrefix(page.NextLink, c.base+"/v1.0/engagements/referrals?") {
			t.Fatalf("nextLink %q is not an absolute URL on %s", page.NextLink, c.base)
		}
		next = page.NextLink
	}
	return pages
}

func q(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return "?" + v.Encode()
}

// TestListPaging: the service sets the page size (get-a-list-of-referrals.md:
// more than 100 items continue through @odata.nextLink, here
// Options.PageSize 10) and $top is the total to retrieve (the Swagger:
// "Total number of entries to retrieve (default = all)").
func TestListPaging(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, PageSize: 10})
	var engagement string
	for i := range 25 {
		typ := "Independent"
		if i%2 == 0 {
			typ = "Shared"
		}
		body := minimal(map[string]any{"name": fmt.Sprintf("r%02d", i), "type": typ})
		if i%5 == 0 {
			body["status"], body["substatus"] = "Closed", "Won"
		}
		if i >= 20 && engagement != "" {
			body["engagementId"] = engagement
		}
		ref := c.create(body)
		if i == 19 {
			engagement = ref.EngagementID
		}
		clock.Advance(time.Second)
	}
	names := func(from, to int, step int) []string {
		var out []string
		for i := from; i != to; i += step {
			out = append(out, fmt.Sprintf("r%02d", i))
		}
		return out
	}

	for _, tc := range []struct {
		name  string
		query string
		want  [][]string
	}{
		{"default: pages of 10", "", [][]string{names(0, 10, 1), names(10, 20, 1), names(20, 25, 1)}},
		{"explicit asc", q("$orderby", "createdDateTime asc"), [][]string{names(0, 10, 1), names(10, 20, 1), names(20, 25, 1)}},
		{"desc", q("$orderby", "createdDateTime desc"), [][]string{names(24, 14, -1), names(14, 4, -1), names(4, -1, -1)}},
		{"top is a total", q("$top", "10"), [][]string{names(0, 10, 1)}},
		{"top across pages", q("$top", "12"), [][]string{names(0, 10, 1), names(10, 12, 1)}},
		{"top 0", q("$top", "0"), [][]string{nil}},
		{"skip", q("$skip", "22"), [][]string{names(22, 25, 1)}},
		{"skip and top", q("$skip", "5", "$top", "3", "$orderby", "createdDateTime desc"), [][]string{names(19, 16, -1)}},
		{"filter", q("$filter", "status eq 'Closed'"), [][]string{{"r00", "r05", "r10", "r15", "r20"}}},
		{"filter and", q("$filter", "type eq 'Shared' and status eq 'New'"), [][]string{{"r02", "r04", "r06", "r08", "r12", "r14", "r16", "r18", "r22", "r24"}}},
		{"filter or, parentheses", q("$filter", "(status eq 'Closed' or name eq 'r01') and type eq 'Shared'"), [][]string{{"r00", "r10", "r20"}}},
		{"filter ne, not", q("$filter", "not (type ne 'Shared') and status ne 'New'"), [][]string{{"r00", "r10", "r20"}}},
		{"filter any case", q("$filter", "Type eq 'shared'  and  substatus eq 'won'"), [][]string{{"r00", "r10", "r20"}}},
		{"filter on a date", q("$filter", "createdDateTime ge "+time.Date(2026, 3, 1, 9, 0, 23, 0, time.UTC).UTC().Format(time.RFC3339)), [][]string{{"r23", "r24"}}},
		{"engagement", q("$filter", "engagementId eq '"+strings.ToUpper(engagement)+"'", "$orderby", "createdDateTime desc"), [][]string{names(24, 18, -1)}},
		{"nothing", q("$filter", "substatus eq 'Expired'"), [][]string{nil}},
		{"top above everything", q("$top", "5000"), [][]string{names(0, 10, 1), names(10, 20, 1), names(20, 25, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := listAll(t, c, tc.query)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("pages\n got %v\nwant %v", got, tc.want)
			}
		})
	}

	t.Run("referrals created while paging", func(t *testing.T) {
		r := c.do(http.MethodGet, "/v1.0/engagements/referrals", nil)
		first := decode[pc.ReferralPage](t, r.body)
		c.create(minimal(map[string]any{"name": "late"}))
		var got []string
		for next := first.NextLink; next != ""; {
			page := decode[pc.ReferralPage](t, c.do(http.MethodGet, next, nil).body)
			for _, ref := range page.Value {
				got = append(got, ref.Name)
			}
			next = page.NextLink
		}
		if fmt.Sprint(got) != fmt.Sprint(append(names(10, 25, 1), "late")) {
			t.Errorf("later pages %v", got)
		}
	})
}

func TestListRejects(t *testing.T) {
	c := start(t, sandbox.Options{})
	for _, tc := range []struct {
		query, target string
	}{
		{q("$filter", "nosuch eq 'x'"), "$filter"},
		{q("$filter", "status eq New"), "$filter"},
		{q("$filter", "status eq 'Bogus'"), "$filter"},
		{q("$filter", "status eq 'New' xor type eq 'Shared'"), "$filter"},
		{q("$filter", "status eq 'New' and"), "$filter"},
		{q("$filter", "status eq 'New"), "$filter"},
		{q("$filter", "team eq 'x'"), "$filter"},
		{q("$filter", "createdDateTime gt 'yesterday'"), "$filter"},
		{q("$filter", "((status eq 'New')"), "$filter"},
		{q("$filter", ""), "$filter"},
		{q("$filter", "contains(name, 'x')"), "$filter"},
		{q("$orderby", "name"), "$orderby"},
		{q("$orderby", "createdDateTime sideways"), "$orderby"},
		{q("$top", "-3"), "$top"},
		{q("$top", "ten"), "$top"},
		{q("$skip", "-1"), "$skip"},
		{q("$count", "maybe"), "$count"},
		{q("$select", "id,nosuch"), "$select"},
		{q("$expand", "team"), "$expand"},
		{q("$skiptoken", "bm9wZQ"), "$skiptoken"},
		{q("$skiptoken", "!!"), "$skiptoken"},
		{"?$top=1&$top=2", "$top"},
		{"?$filter=%zz", "query"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			wantError(t, c.do(http.MethodGet, "/v1.0/engagements/referrals"+tc.query, nil), http.StatusBadRequest, tc.target)
		})
	}
	t.Run("other parameters are ignored", func(t *testing.T) {
		if r := c.do(http.MethodGet, "/v1.0/engagements/referrals?api-version=1", nil); r.StatusCode != http.StatusOK {
			t.Errorf("%d %s", r.StatusCode, r.body)
		}
	})
	t.Run("quotes in values", func(t *testing.T) {
		if r := c.do(http.MethodGet, "/v1.0/engagements/referrals"+q("$filter", "engagementId eq 'o''brien'"), nil); r.StatusCode != http.StatusOK {
			t.Errorf("%d %s", r.StatusCode, r.body)
		}
	})
}

func TestCoSellLinkAndAcceptAfter(t *testing.T) {
	clock := newFakeClock()
	c := start(t, sandbox.Options{Now: clock.Now, AcceptAfter: 2 * time.Second})
	partner := c.create(minimal(nil))
	// The body says Active: Microsoft's referral starts New/Pending anyway.
	ms := c.create(minimal(map[string]any{"engagementId": partner.EngagementID, "organizationId": "MSFT", "status": "Active",
		"target": []any{map[string]any{"type": "BusinessProfileLocation", "id": "msft"}}}))
	if ms.EngagementID != partner.EngagementID || ms.OrganizationID != "msft" || ms.OrganizationName != "Microsoft" {
		t.Fatalf("link: %s %s %s", ms.EngagementID, ms.OrganizationID, ms.OrganizationName)
	}
	if ms.Status != pc.StatusNew || ms.Substatus != pc.SubstatusPending {
		t.Fatalf("Microsoft referral starts %s/%s", ms.Status, ms.Substatus)
	}

	clock.Advance(2*time.Second - time.Millisecond)
	if got := c.get(ms.ID); got.Status != pc.StatusNew || got.ETag != ms.ETag {
		t.Fatalf("accepted early: %s/%s", got.Status, got.Substatus)
	}
	clock.Advance(time.Millisecond)
	got := c.get(ms.ID)
	if got.Status != pc.StatusActive || got.Substatus != pc.SubstatusAccepted || got.ETag == ms.ETag {
		t.Fatalf("after AcceptAfter: %s/%s eTag %s", got.Status, got.Substatus, got.ETag)
	}
	if want := ms.CreatedDateTime.Add(2 * time.Second); !got.AcceptedDateTime.Equal(want) || !got.UpdatedDateTime.Equal(want) {
		t.Errorf("acceptedDateTime %v, want %v", got.AcceptedDateTime, want)
	}
	// The partner's own referral is not accepted by the clock.
	if p := c.get(partner.ID); p.Status != pc.StatusNew {
		t.Errorf("partner referral turned %s", p.Status)
	}
	// The list sees the acceptance too.
	page := decode[pc.ReferralPage](t, c.do(http.MethodGet, "/v1.0/engagements/referrals"+q("$filter", "engagementId eq '"+partner.EngagementID+"' and status eq 'Active'"), nil).body)
	if len(page.Value) != 1 || page.Value[0].ID != ms.ID {
		t.Errorf("filtered list: %+v", page.Value)
	}

	t.Run("a patch first wins", func(t *testing.T) {
		ms2 := c.create(minimal(map[string]any{"engagementId": partner.EngagementID, "organizationId": "msft"}))
		c.patch(ms2.ID, []pc.PatchOp{{Op: "replace", Path: "/status", Value: "Closed"}, {Op: "replace", Path: "/substatus", Value: "Declined"}})
		clock.Advance(time.Hour)
		if got := c.get(ms2.ID); got.Status != pc.StatusClosed {
			t.Errorf("status %s", got.Status)
		}
	})
	t.Run("never without AcceptAfter", func(t *testing.T) {
		clock := newFakeClock()
		c := start(t, sandbox.Options{Now: clock.Now})
		p := c.create(minimal(nil))
		ms := c.create(minimal(map[string]any{"engagementId": p.EngagementID, "organizationId": "msft"}))
		clock.Advance(1000 * time.Hour)
		if got := c.get(ms.ID); got.Status != pc.StatusNew {
			t.Errorf("status %s", got.Status)
		}
	})
	t.Run("a partner referral can join too", func(t *testing.T) {
		other := c.create(minimal(map[string]any{"engagementId": partner.EngagementID}))
		if other.EngagementID != partner.EngagementID || other.OrganizationID == "msft" {
			t.Errorf("join: %s %s", other.EngagementID, other.OrganizationID)
		}
	})
}
