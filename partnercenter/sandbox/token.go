package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Paths of the Azure AD stand-in (the tenant is the first segment).
const (
	// AdminDeviceApprovePath approves pending device codes: form or query
	// user_code=CODE approves that one, no user_code every pending one.
	AdminDeviceApprovePath = "/_sandbox/devicecode/approve"
	// DeviceLoginPath is the verification URI the sandbox hands out: a page
	// with a button that approves the code typed in.
	DeviceLoginPath = "/_sandbox/devicelogin"

	partnerCenterResource = "https://api.partner.microsoft.com"
	deviceCodeGrant       = "urn:ietf:params:oauth:grant-type:device_code"

	// Prefixes of what the sandbox issues, so tests can search output for
	// any token it handed out.
	AccessTokenPrefix  = "sbx-at-"
	RefreshTokenPrefix = "sbx-rt-"

	defaultDeviceInterval     = 5 * time.Second
	defaultDeviceCodeLifetime = 15 * time.Minute
	untimedTokenLifetime      = time.Hour
)

// TokenOptions configure the sandbox's stand-in for Azure AD (embedded in
// Options).
type TokenOptions struct {
	// TokenLifetime is the life of the access tokens the token endpoints
	// issue. When it is positive the API accepts only tokens the sandbox
	// issued and that have not expired (and Options.Token when set); an
	// expired one is a 401. Zero: issued tokens say expires_in 3600, never
	// expire, and the API keeps its Options.Token rule.
	TokenLifetime time.Duration
	// RefreshTokens are refresh tokens the refresh grant accepts from any
	// client, as if a login had issued them.
	RefreshTokens []string
	// DeviceApproveAfter approves a device code by itself this long after
	// it was issued; 0 waits for AdminDeviceApprovePath.
	DeviceApproveAfter time.Duration
	// DeviceInterval is the polling interval announced with a device code
	// (whole seconds, at least one; default 5s as Azure AD).
	DeviceInterval time.Duration
	// DeviceCodeLifetime is how long a device code may be redeemed
	// (default 15 minutes as Azure AD); after it, polls get expired_token.
	DeviceCodeLifetime time.Duration
}

// tokenIssuer is the sandbox's Azure AD: issued access and refresh tokens
// and pending device codes, in memory only.
type tokenIssuer struct {
	mu      sync.Mutex
	access  map[string]time.Time    // access token → expiry
	refresh map[string]refreshGrant // refresh token → who it was issued to
	devices map[string]*deviceGrant // device code → its state
	byUser  map[string]*deviceGrant // user code → the same
	seeded  bool
}

type refreshGrant struct {
	clientID string // "" for a seeded token: any client
	tenant   string
}

type deviceGrant struct {
	deviceCode, userCode string
	clientID, tenant     string
	issued, expires      time.Time
	interval             time.Duration
	lastPoll             time.Time
	approved             bool
}

// initLocked makes the maps and seeds the refresh tokens once. Callers hold
// ti.mu.
func (ti *tokenIssuer) initLocked(o TokenOptions) {
	if ti.seeded {
		return
	}
	ti.access = map[string]time.Time{}
	ti.refresh = map[string]refreshGrant{}
	ti.devices = map[string]*deviceGrant{}
	ti.byUser = map[string]*deviceGrant{}
	for _, rt := range o.RefreshTokens {
		if rt != "" {
			ti.refresh[rt] = refreshGrant{}
		}
	}
	ti.seeded = true
}

// acceptsToken decides a Bearer token of an API request: see
// TokenOptions.TokenLifetime.
func (s *Server) acceptsToken(tok string) bool {
	if s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1 {
		return true
	}
	ti := &s.tokens
	ti.mu.Lock()
	ti.initLocked(s.opts.TokenOptions)
	exp, issued := ti.access[tok]
	ti.mu.Unlock()
	if issued {
		return s.opts.TokenLifetime <= 0 || s.now().Before(exp)
	}
	return s.opts.TokenLifetime <= 0 && s.opts.Token == ""
}

// serveTokens answers the Azure AD endpoints and the device-code admin
// paths; it reports false for any other path. They sit outside the API's
// faults and auth: they stand for another service.
func (s *Server) serveTokens(w *statusWriter, r *http.Request) bool {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case strings.EqualFold(path, AdminDeviceApprovePath):
		s.handleDeviceApprove(w, r)
		return true
	case strings.EqualFold(path, DeviceLoginPath):
		s.handleDeviceLoginPage(w, r)
		return true
	}
	tenant, rest, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok || tenant == "" || strings.HasPrefix(tenant, "_") {
		return false
	}
	v2 := false
	switch strings.ToLower(rest) {
	case "oauth2/token", "oauth2/devicecode":
	case "oauth2/v2.0/token", "oauth2/v2.0/devicecode":
		v2 = true
	default:
		return false
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
		return true
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must be application/x-www-form-urlencoded.")
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body could not be read.")
		return true
	}
	if strings.HasSuffix(strings.ToLower(rest), "devicecode") {
		s.handleDeviceCode(w, r, tenant, v2)
	} else {
		s.handleToken(w, r, tenant, v2)
	}
	return true
}

// audienceError checks that the request names Partner Center: resource on
// v1, a .default scope of it on v2 (x/oauth2's own refresh sends neither).
func audienceError(f url.Values, v2 bool) (code, desc string) {
	if v2 {
		for sc := range strings.FieldsSeq(f.Get("scope")) {
			if strings.EqualFold(strings.TrimSuffix(sc, "/.default"), partnerCenterResource) && strings.HasSuffix(strings.ToLower(sc), "/.default") {
				return "", ""
			}
		}
		return "invalid_scope", "AADSTS70011: The provided request must include a 'scope' input parameter naming " + partnerCenterResource + "/.default."
	}
	if !strings.EqualFold(strings.TrimSuffix(f.Get("resource"), "/"), partnerCenterResource) {
		return "invalid_resource", "AADSTS50001: The request must include the resource " + partnerCenterResource + "."
	}
	return "", ""
}

func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	clientID := r.PostForm.Get("client_id")
	if clientID == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	}
	if code, desc := audienceError(r.PostForm, v2); code != "" {
		oauthError(w, http.StatusBadRequest, code, desc)
		return
	}
	o := s.opts.TokenOptions
	interval := max(o.DeviceInterval.Round(time.Second), time.Second)
	if o.DeviceInterval <= 0 {
		interval = defaultDeviceInterval
	}
	life := o.DeviceCodeLifetime
	if life <= 0 {
		life = defaultDeviceCodeLifetime
	}
	now := s.now()
	g := &deviceGrant{deviceCode: randomToken("sbx-dc-", 32), userCode: userCode(), clientID: clientID, tenant: strings.ToLower(tenant),
		issued: now, expires: now.Add(life), interval: interval}
	ti := &s.tokens
	ti.mu.Lock()
	ti.initLocked(o)
	for u, old := range ti.byUser { // forget long-dead codes
		if now.Sub(old.expires) > time.Hour {
			delete(ti.byUser, u)
			delete(ti.devices, old.deviceCode)
		}
	}
	ti.devices[g.deviceCode], ti.byUser[g.userCode] = g, g
	ti.mu.Unlock()

	verify := baseURL(r) + DeviceLoginPath
	msg := fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, g.userCode)
	lifeS, intervalS := int64(life/time.Second), int64(interval/time.Second)
	if v2 {
		writeJSON(w, http.StatusOK, map[string]any{"device_code": g.deviceCode, "user_code": g.userCode, "verification_uri": verify,
			"expires_in": lifeS, "interval": intervalS, "message": msg})
		return
	}
	// v1 says verification_url and sends its numbers as strings.
	writeJSON(w, http.StatusOK, map[string]any{"device_code": g.deviceCode, "user_code": g.userCode, "verification_url": verify,
		"expires_in": strconv.FormatInt(lifeS, 10), "interval": strconv.FormatInt(intervalS, 10), "message": msg})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	f := r.PostForm
	clientID := f.Get("client_id")
	if clientID == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	}
	tenant = strings.ToLower(tenant)
	ti := &s.tokens
	now := s.now()
	switch f.Get("grant_type") {
	case "refresh_token":
		if code, desc := audienceError(f, v2); code != "" {
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
		rt := f.Get("refresh_token")
		ti.mu.Lock()
		ti.initLocked(s.opts.TokenOptions)
		g, ok := ti.refresh[rt]
		if ok && (g.clientID == "" || (g.clientID == clientID && g.tenant == tenant)) {
			// Stricter than Azure AD, which lets an old refresh token live
			// on: a client that loses the rotated one is caught.
			delete(ti.refresh, rt)
			ti.mu.Unlock()
			s.issueTokens(w, clientID, tenant, v2, now)
			return
		}
		ti.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70000: The provided refresh token is invalid, expired or revoked, or was issued to another client. Sign in again.")
	case deviceCodeGrant, "device_code":
		dc := f.Get("device_code")
		if dc == "" {
			dc = f.Get("code") // v1 called it code
		}
		ti.mu.Lock()
		ti.initLocked(s.opts.TokenOptions)
		g, ok := ti.devices[dc]
		var code, desc string
		switch {
		case !ok || g.clientID != clientID || g.tenant != tenant:
			code, desc = "invalid_grant", "AADSTS70000: The provided device code is not known to this tenant and client."
		case !now.Before(g.expires):
			code, desc = "expired_token", "AADSTS70020: The provided value for the input parameter 'device_code' is no longer valid. Sign in again."
		case !g.lastPoll.IsZero() && now.Sub(g.lastPoll) < g.interval*3/4:
			g.interval += 5 * time.Second // RFC 8628 §3.5
			code, desc = "slow_down", "AADSTS70016: Polling too fast; wait the interval between requests."
		case !g.approved && !(s.opts.DeviceApproveAfter > 0 && now.Sub(g.issued) >= s.opts.DeviceApproveAfter):
			code, desc = "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."
		}
		if ok {
			g.lastPoll = now
		}
		if code == "" {
			delete(ti.devices, dc)
			delete(ti.byUser, g.userCode)
		}
		ti.mu.Unlock()
		if code != "" {
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
		s.issueTokens(w, clientID, tenant, v2, now)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type; the sandbox knows refresh_token and device_code.")
	}
}

// issueTokens answers a granted token request with a fresh access token and
// a rotated refresh token, in v1 or v2 shape.
func (s *Server) issueTokens(w http.ResponseWriter, clientID, tenant string, v2 bool, now time.Time) {
	life := s.opts.TokenLifetime
	if life <= 0 {
		life = untimedTokenLifetime
	}
	at, rt := randomToken(AccessTokenPrefix, 24), randomToken(RefreshTokenPrefix, 32)
	ti := &s.tokens
	ti.mu.Lock()
	for tok, exp := range ti.access { // the API refuses them anyway
		if s.opts.TokenLifetime > 0 && now.Sub(exp) > time.Minute {
			delete(ti.access, tok)
		}
	}
	ti.access[at] = now.Add(life)
	ti.refresh[rt] = refreshGrant{clientID: clientID, tenant: tenant}
	ti.mu.Unlock()
	secs := max(int64(life/time.Second), 1)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if v2 {
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "scope": partnerCenterResource + "/user_impersonation",
			"expires_in": secs, "ext_expires_in": secs, "access_token": at, "refresh_token": rt})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "scope": "user_impersonation",
		"expires_in": strconv.FormatInt(secs, 10), "ext_expires_in": strconv.FormatInt(secs, 10),
		"expires_on": strconv.FormatInt(now.Add(life).Unix(), 10), "not_before": strconv.FormatInt(now.Unix(), 10),
		"resource": partnerCenterResource, "access_token": at, "refresh_token": rt})
}

// handleDeviceApprove approves the device code named by user_code, or
// every pending one.
func (s *Server) handleDeviceApprove(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	want := strings.ToUpper(strings.TrimSpace(r.Form.Get("user_code")))
	ti := &s.tokens
	ti.mu.Lock()
	ti.initLocked(s.opts.TokenOptions)
	n := 0
	now := s.now()
	for u, g := range ti.byUser {
		if (want == "" || u == want) && now.Before(g.expires) && !g.approved {
			g.approved = true
			n++
		}
	}
	ti.mu.Unlock()
	if want != "" && n == 0 {
		writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, target: "user_code", message: "no pending device code with that user code"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"approved": n})
}

// handleDeviceLoginPage is the verification URI: a form that approves the
// code typed in (the sandbox has no users to sign in).
func (s *Server) handleDeviceLoginPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>refbatch sandbox sign-in</title>
<h1>refbatch sandbox: device sign-in</h1>
<p>The sandbox has no accounts: approving a code signs its device in.</p>
<form method="post" action="%s"><label>Code <input name="user_code" autofocus></label> <button>Approve</button></form>
`, html.EscapeString(AdminDeviceApprovePath))
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	now := time.Now().UTC()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	_ = enc.Encode(map[string]any{"error": code, "error_description": desc + "\r\nTimestamp: " + now.Format("2006-01-02 15:04:05Z"),
		"error_codes": []int{aadCode(desc)}, "timestamp": now.Format("2006-01-02 15:04:05Z")})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// aadCode is the number of an "AADSTSnnnn:" description.
func aadCode(desc string) int {
	d, _, _ := strings.Cut(strings.TrimPrefix(desc, "AADSTS"), ":")
	n, _ := strconv.Atoi(d)
	return n
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + strings.ToLower(tokenEncoding.EncodeToString(b))
}

// userCode is eight letters, as Azure AD's, without look-alikes.
func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
