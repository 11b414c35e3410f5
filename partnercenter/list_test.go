package partnercenter_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/refbatch/refbatch/partnercenter"
)

// page answers one list page holding the given ids and nextLink.
func page(w http.ResponseWriter, next string, ids ...string) {
	var vals []string
	for _, id := range ids {
		vals = append(vals, fmt.Sprintf(`{"id":%q}`, id))
	}
	body := `{"value":[` + strings.Join(vals, ",") + `]`
	if next != "" {
		body += fmt.Sprintf(`,"@odata.nextLink":%q`, next)
	}
	writeJSON(w, 200, body+"}")
}

func collect(t *testing.T, c *partnercenter.Client, q partnercenter.ListQuery) ([]string, error) {
	t.Helper()
	var ids []string
	for r, err := range c.List(t.Context(), q) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func TestListQueryEncoding(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { page(w, "", "a") })
	c := newTestClient(t, srv.URL)
	q := partnercenter.ListQuery{
		Filter:  partnercenter.FilterEq("status", "New") + " and " + partnercenter.FilterEq("externalReferenceId", "O'Brien & Co+1"),
		OrderBy: "createdDateTime desc",
		Top:     25,
	}
	if _, err := collect(t, c, q); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()[0]
	const wantRaw = "$filter=status%20eq%20%27New%27%20and%20externalReferenceId%20eq%20%27O%27%27Brien%20%26%20Co%2B1%27" +
		"&$orderby=createdDateTime%20desc&$top=25"
	if got.RawQuery != wantRaw {
		t.Errorf("query\n got %s\nwant %s", got.RawQuery, wantRaw)
	}
	if got.Path != "/v1.0/engagements/referrals" {
		t.Errorf("path = %s", got.Path)
	}
}

// TestListFollowsNextLink walks pages linked in the ways a service writes
// them: absolute, relative to the host, relative to the page, and with the
// raw spaces of the documents' own links.
func TestListFollowsNextLink(t *testing.T) {
	var base string
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("$skiptoken") {
		case "":
			page(w, base+"/v1.0/engagements/referrals?$filter=engagementId eq 'e1'&$skiptoken=2", "a", "b")
		case "2":
			if r.URL.Query().Get("$filter") != "engagementId eq 'e1'" {
				t.Errorf("page 2 filter = %q", r.URL.Query().Get("$filter"))
			}
			page(w, "/v1.0/engagements/referrals?$skiptoken=3", "c", "d")
		case "3":
			page(w, "referrals?$skiptoken=4", "e")
		case "4":
			page(w, "", "f")
		}
	})
	base = srv.URL
	c := newTestClient(t, srv.URL)
	ctxID := partnercenter.NewClientRequestID()
	var ids []string
	for r, err := range c.List(partnercenter.WithClientRequestID(t.Context(), ctxID), partnercenter.ListQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ""); got != "abcdef" {
		t.Errorf("ids = %s", got)
	}
	reqs := srv.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	seen := map[string]bool{}
	for i, r := range reqs {
		id := r.Header.Get("client-request-id")
		if i == 0 && id != ctxID {
			t.Errorf("first page sent %q, want the context's %q", id, ctxID)
		}
		if seen[id] {
			t.Errorf("page %d reuses client-request-id %q", i+1, id)
		}
		seen[id] = true
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("page %d without the token", i+1)
		}
	}
}

func TestListStopsWhenTheCallerStops(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
		page(w, fmt.Sprintf("/v1.0/engagements/referrals?$skiptoken=%d", n), fmt.Sprint(n), "x")
	})
	c := newTestClient(t, srv.URL)
	for r, err := range c.List(t.Context(), partnercenter.ListQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == "2" {
			break
		}
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d pages fetched, want 2", n)
	}
}

// TestListRefusesForeignNextLink: a nextLink to another host, port or
// scheme is never requested, so the token cannot leak to it.
func TestListRefusesForeignNextLink(t *testing.T) {
	foreign := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { page(w, "", "stolen") })
	tests := []struct {
		name string
		link func(own string) string
	}{
		{"another host", func(string) string { return "https://evil.example/v1.0/engagements/referrals?$skiptoken=2" }},
		{"another port on loopback", func(string) string { return foreign.URL + "/v1.0/engagements/referrals?$skiptoken=2" }},
		// Another scheme on the same host is followed with the base URL's
		// scheme (TestListFollowsTheDocumentsNextLink); another port is not.
		{"https on another port", func(string) string { return "https://127.0.0.1:1/v1.0/engagements/referrals" }},
		{"scheme-relative", func(string) string { return "//evil.example/v1.0/engagements/referrals" }},
		{"user info", func(own string) string {
			return strings.Replace(own, "http://", "http://x:y@", 1) + "/v1.0/engagements/referrals"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var own string
			srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) { page(w, tt.link(own), "a") })
			own = srv.URL
			c := newTestClient(t, srv.URL)
			ids, err := collect(t, c, partnercenter.ListQuery{})
			if !errors.Is(err, partnercenter.ErrForeignNextLink) {
				t.Fatalf("err = %v", err)
			}
			if strings.Join(ids, "") != "a" {
				t.Errorf("ids before the error = %v", ids)
			}
			if len(srv.requests()) != 1 || len(foreign.requests()) != 0 {
				t.Errorf("requests: own %d, foreign %d", len(srv.requests()), len(foreign.requests()))
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	t.Run("a nextLink that loops", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
			page(w, "/v1.0/engagements/referrals?$skiptoken=1", "a")
		})
		c := newTestClient(t, srv.URL)
		if _, err := collect(t, c, partnercenter.ListQuery{}); err == nil || len(srv.requests()) != 2 {
			t.Errorf("err = %v after %d requests", err, len(srv.requests()))
		}
	})
	t.Run("a failing page ends the sequence with its error", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				page(w, "/v1.0/engagements/referrals?$skiptoken=2", "a")
				return
			}
			writeJSON(w, 403, `{"error":{"code":"Forbidden","message":"no"}}`)
		})
		c := newTestClient(t, srv.URL)
		ids, err := collect(t, c, partnercenter.ListQuery{})
		if partnercenter.Classify(err) != partnercenter.Fatal || len(ids) != 1 {
			t.Errorf("ids %v, err %v", ids, err)
		}
	})
	t.Run("a transient page failure is retried", func(t *testing.T) {
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request, n int) {
			switch n {
			case 1:
				page(w, "/v1.0/engagements/referrals?$skiptoken=2", "a")
			case 2:
				w.WriteHeader(502)
			default:
				page(w, "", "b")
			}
		})
		c := newTestClient(t, srv.URL)
		ids, err := collect(t, c, partnercenter.ListQuery{})
		if err != nil || strings.Join(ids, "") != "ab" {
			t.Errorf("ids %v, err %v", ids, err)
		}
	})
}
