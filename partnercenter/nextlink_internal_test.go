package partnercenter

import (
	"testing"
)

// TestResolveDocumentedNextLink: get-a-list-of-referrals.md's nextLink is
// "http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=…": same host,
// plain http, no /engagements. It is followed over the base URL's https, to
// the list endpoint; other hosts and ports are refused.
func TestResolveDocumentedNextLink(t *testing.T) {
	c := &Client{}
	base, err := parseBaseURL(DefaultBaseURL)
	if err != nil {
		t.Fatal(err)
	}
	c.base = base
	from := c.endpoint("referrals")
	for _, tc := range []struct{ link, want string }{
		{"http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=k181pEdP%2fFUE%2b",
			"https://api.partner.microsoft.com/v1.0/engagements/referrals?$skiptoken=k181pEdP%2fFUE%2b"},
		{"http://api.partner.microsoft.com:80/v1.0/engagements/referrals?$skiptoken=a",
			"https://api.partner.microsoft.com/v1.0/engagements/referrals?$skiptoken=a"},
		{"https://API.partner.microsoft.com/v1.0/engagments/referrals?$skiptoken=b",
			"https://api.partner.microsoft.com/v1.0/engagements/referrals?$skiptoken=b"},
		{"/v1.0/engagements/referrals?$skiptoken=c", "https://api.partner.microsoft.com/v1.0/engagements/referrals?$skiptoken=c"},
		{"http://evil.example/v1.0/referrals?$skiptoken=d", ""},
		{"http://api.partner.microsoft.com:8080/v1.0/referrals?$skiptoken=e", ""},
		{"ftp://api.partner.microsoft.com/v1.0/referrals", ""},
	} {
		next, err := c.resolveNextLink(from, tc.link)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: followed to %s", tc.link, next)
		case tc.want != "" && (err != nil || next.String() != tc.want):
			t.Errorf("%s: got %v, %v; want %s", tc.link, next, err, tc.want)
		}
	}
}
