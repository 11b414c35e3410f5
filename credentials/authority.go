package credentials

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Azure AD facts refbatch relies on.
const (
	// DefaultAuthority is Azure AD's public cloud.
	DefaultAuthority = "https://login.microsoftonline.com"
	// Resource is the Partner Center API, the audience of the tokens.
	Resource = "https://api.partner.microsoft.com"
	// ScopeV2 is what the v2 endpoints are asked for: the API's delegated
	// permissions, and a refresh token.
	ScopeV2 = Resource + "/.default offline_access"
)

// Version chooses Azure AD's v1 or v2 endpoints.
type Version string

// The two endpoint versions.
const (
	V1 Version = "v1" // …/oauth2/token with resource=
	V2 Version = "v2" // …/oauth2/v2.0/token with scope=
)

// ParseVersion reads "v1", "v2", "1", "2" or "" (v1).
func ParseVersion(s string) (Version, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "v1", "1", "1.0":
		return V1, nil
	case "v2", "2", "2.0":
		return V2, nil
	}
	return "", fmt.Errorf("oauth version %q: want v1 or v2", s)
}

// Authority says where tokens come from: an Azure AD instance, a tenant and
// the public client (app registration) a person signs in through.
type Authority struct {
	URL      string // DefaultAuthority when empty
	Tenant   string // tenant id or domain (contoso.onmicrosoft.com)
	ClientID string // the app registration's application (client) id
	Version  Version
}

// Check validates a and fills its defaults.
func (a *Authority) Check() error {
	if a.URL == "" {
		a.URL = DefaultAuthority
	}
	a.URL = strings.TrimRight(a.URL, "/")
	if err := CheckURL(a.URL); err != nil {
		return fmt.Errorf("authority: %w", err)
	}
	if a.Version == "" {
		a.Version = V1
	}
	if _, err := ParseVersion(string(a.Version)); err != nil {
		return err
	}
	switch {
	case a.Tenant == "":
		return errors.New("no tenant: give the Azure AD tenant (id or domain) with --tenant, REFBATCH_TENANT or tenant: in refbatch.yaml")
	case strings.ContainsAny(a.Tenant, "/?#% \t\r\n"):
		return fmt.Errorf("tenant %q is not a tenant id or domain", a.Tenant)
	case a.ClientID == "":
		return errors.New("no client id: give the app registration's application (client) id with --client-id, REFBATCH_CLIENT_ID or client_id: in refbatch.yaml")
	case strings.ContainsAny(a.ClientID, "\r\n"):
		return errors.New("client id contains a line break")
	}
	return nil
}

func (a Authority) endpoint(leaf string) string {
	base := a.URL + "/" + url.PathEscape(a.Tenant) + "/oauth2/"
	if a.Version == V2 {
		base += "v2.0/"
	}
	return base + leaf
}

// TokenURL is the tenant's token endpoint.
func (a Authority) TokenURL() string { return a.endpoint("token") }

// DeviceCodeURL is the tenant's device-authorization endpoint.
func (a Authority) DeviceCodeURL() string { return a.endpoint("devicecode") }

// audience adds what Azure AD needs to know the token is for Partner
// Center: resource on v1, scope on v2.
func (a Authority) audience(v url.Values) {
	if a.Version == V2 {
		v.Set("scope", ScopeV2)
	} else {
		v.Set("resource", Resource)
	}
}

// CheckURL refuses any URL but https, or http to a loopback host: a token
// must not cross a network in clear text.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URL %q: %w", s, err)
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("URL %q has no host", s)
	case u.User != nil:
		return fmt.Errorf("URL %q: no user info allowed", u.Redacted())
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("URL %q: http:// is allowed only to a loopback host; use https://", s)
	}
	return fmt.Errorf("URL %q: scheme must be https", s)
}

// IsLoopback reports whether host is "localhost" or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HTTPClient returns a client for token endpoints: a 30-second timeout,
// and no redirects, which could carry a refresh token to another host.
func HTTPClient() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
