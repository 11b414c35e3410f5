package partnercenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// DefaultBaseURL is the Partner Center API endpoint.
const DefaultBaseURL = "https://api.partner.microsoft.com"

// DefaultMaxResponseBytes caps the body of one answer the client reads.
const DefaultMaxResponseBytes = 16 << 20

// TokenSource supplies the OAuth2 access token sent as
// "Authorization: Bearer …". It is called before every attempt, so it can
// refresh a token before it expires; it must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Invalidator is implemented by a TokenSource that can refresh on demand.
// After a 401 the client calls Invalidate with the refused token, then
// repeats that request once with a fresh token (a 401 comes before the
// service acts, so even a create may be repeated); a second 401 is Fatal.
// Invalidate must ignore a token it has already replaced, so that workers
// refused together cause one refresh. It must be safe for concurrent use.
type Invalidator interface {
	Invalidate(token string)
}

// StaticToken is a TokenSource that always returns the same token (from
// REFBATCH_TOKEN, a token file, or the sandbox).
type StaticToken string

// Token returns t, or an error when t is empty.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", errors.New("empty token")
	}
	return string(t), nil
}

// Attempt describes one HTTP attempt, for the journal and progress.
type Attempt struct {
	Method string
	Path   string // request path, without query
	// N counts the attempts of one call from 1.
	N int
	// StatusCode is 0 when no answer arrived.
	StatusCode      int
	ClientRequestID string
	RequestID       string // the service's Request-ID header
	Duration        time.Duration
	Err             error // nil on a 2xx the client could read
}

// Client speaks the Partner Center Referrals API. It is safe for concurrent
// use by multiple goroutines; build it with NewClient.
type Client struct {
	base          *url.URL
	hc            *http.Client
	tokens        TokenSource
	correlationID string
	userAgent     string
	log           *slog.Logger
	observe       func(Attempt)
	maxBody       int64
	pacer         *pacer
	now           func() time.Time // the clock ClockSkew is measured against

	// seen is shared by the client's views (singleAttempt).
	seen *seenState
}

// seenState is what the client learnt from the answers it had: answered
// turns true with the first one (from then on a failure to connect is
// passing, not "unreachable"); skew is the service's clock minus ours, from
// the Date header of the latest answer (skewKnown once one had it).
type seenState struct {
	answered  atomic.Bool
	skew      atomic.Int64
	skewKnown atomic.Bool
}

// ClockSkew is how far the service's clock is ahead of this machine's
// (negative: behind), from the Date header of the latest answer, to the
// second; ok is false until an answer had one. Reconciliation compares the
// service's timestamps with times on the service's clock through it.
func (c *Client) ClockSkew() (time.Duration, bool) {
	return time.Duration(c.seen.skew.Load()), c.seen.skewKnown.Load()
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sends requests through hc (its Transport, Timeout, Jar).
// The client copies hc and refuses redirects on the copy: a redirect could
// take the token to another host or replay a create.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil http.Client")
		}
		cp := *hc
		c.hc = &cp
		return nil
	}
}

// WithTokenSource sets where the bearer token comes from. Required.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) error {
		if ts == nil {
			return errors.New("nil TokenSource")
		}
		c.tokens = ts
		return nil
	}
}

// WithCorrelationID sends id as MS-CorrelationId on every request (refbatch
// uses the run id), so the service can relate a run's requests.
func WithCorrelationID(id string) Option {
	return func(c *Client) error {
		if strings.ContainsAny(id, "\r\n") {
			return errors.New("correlation id contains a line break")
		}
		c.correlationID = id
		return nil
	}
}

// WithLogger logs attempts (debug) and retries (info) to l. Tokens are
// never logged. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy; zero fields keep their
// defaults.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		c.pacer.policy = p.withDefaults()
		return nil
	}
}

// WithLimiter makes every attempt, retries included, wait on l first.
func WithLimiter(l Limiter) Option {
	return func(c *Client) error {
		c.pacer.limiter = l
		return nil
	}
}

// WithObserver calls fn after every attempt. It is called from the
// goroutines that make requests, concurrently, and must be quick.
func WithObserver(fn func(Attempt)) Option {
	return func(c *Client) error {
		c.observe = fn
		return nil
	}
}

// WithMaxResponseBytes caps the body of one answer (default 16 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return errors.New("response cap must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// WithClock sets the clock ClockSkew measures the service's against: the
// one its caller compares the service's timestamps with (an injected clock
// in a test or a replay as of a date). The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now != nil {
			c.now = now
		}
		return nil
	}
}

// WithJitterSource draws backoff jitter from src, so tests are
// reproducible. The default is the runtime's random source.
func WithJitterSource(src rand.Source) Option {
	return func(c *Client) error {
		if src != nil {
			c.pacer.rnd = rand.New(src)
		}
		return nil
	}
}

// NewClient returns a client of the API at baseURL (DefaultBaseURL when
// empty). baseURL must be https, or http to a loopback host (the sandbox):
// a token must not cross a network in clear text.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		seen:      &seenState{},
		hc:        &http.Client{},
		userAgent: defaultUserAgent(),
		log:       slog.New(slog.DiscardHandler),
		maxBody:   DefaultMaxResponseBytes,
		pacer:     &pacer{policy: DefaultRetryPolicy(), gate: &gate{}},
		now:       time.Now,
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("partnercenter: %w", err)
		}
	}
	if c.tokens == nil {
		return nil, errors.New("partnercenter: no TokenSource (use WithTokenSource)")
	}
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.pacer.log = c.log
	return c, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("partnercenter: base URL: %w", err)
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("partnercenter: base URL %q has no host", s)
	case u.User != nil, u.RawQuery != "", u.Fragment != "":
		return nil, fmt.Errorf("partnercenter: base URL %q: no user info, query or fragment allowed", u.Redacted())
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return nil, fmt.Errorf("partnercenter: base URL %q: http:// is allowed only to a loopback host; use https://", s)
	default:
		return nil, fmt.Errorf("partnercenter: base URL %q: scheme must be https", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopbackURL reports whether baseURL names an API on this machine (a
// sandbox), not Partner Center.
func IsLoopbackURL(baseURL string) bool {
	u, err := url.Parse(baseURL)
	return err == nil && isLoopback(u.Hostname())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "refbatch/" + v
}

// singleAttempt returns a view of c whose calls are made once: its caller
// owns the retries (the engine journals every attempt of a step). It
// shares c's limiter and its Retry-After gate, so a 429 seen by either
// holds back both.
func (c *Client) singleAttempt() *Client {
	cp := *c
	policy := c.pacer.policy
	policy.MaxAttempts = 1
	cp.pacer = &pacer{policy: policy, limiter: c.pacer.limiter, log: c.pacer.log, gate: c.pacer.gate}
	return &cp
}

// BaseURL returns the endpoint the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// RetryPolicy returns the policy in force, defaults filled in.
func (c *Client) RetryPolicy() RetryPolicy { return c.pacer.policy }

type clientRequestIDKey struct{}

// WithClientRequestID returns a context under which the next call sends id
// as its client-request-id, so the engine can journal the id before the
// request leaves. id must be a GUID (see NewClientRequestID). The same id is
// sent on every retry of that call; a List sends it on its first page and a
// fresh id on each following page. Without it every call draws a fresh id.
func WithClientRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientRequestIDKey{}, id)
}

// ClientRequestIDFrom returns the id WithClientRequestID stored in ctx.
func ClientRequestIDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(clientRequestIDKey{}).(string)
	return id, ok && id != ""
}

// NewClientRequestID returns a fresh random GUID for a client-request-id.
func NewClientRequestID() string { return uuid.NewString() }

// call is one API operation: its request and what may be done with it.
type call struct {
	method          string
	u               *url.URL
	path            string // escaped path, for errors and logs
	body            []byte // nil: no body
	header          http.Header
	idempotent      bool  // may be repeated: see pacer.do
	write           bool  // may change state: a failure after sending is in doubt
	expect          []int // acceptable 2xx statuses
	clientRequestID string
}

// answer is a readable 2xx answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) newCall(ctx context.Context, method string, u *url.URL, useCtxID bool) (*call, error) {
	id := ""
	if useCtxID {
		id, _ = ClientRequestIDFrom(ctx)
	}
	if id == "" {
		id = NewClientRequestID()
	} else if err := uuid.Validate(id); err != nil {
		return nil, fmt.Errorf("partnercenter: client-request-id %q is not a GUID", id)
	}
	return &call{
		method:          method,
		u:               u,
		path:            u.EscapedPath(),
		header:          http.Header{},
		idempotent:      method == http.MethodGet,
		clientRequestID: id,
		expect:          []int{http.StatusOK},
	}, nil
}

// send runs cl's attempts through the pacer.
func (c *Client) send(ctx context.Context, cl *call) (*answer, error) {
	var ans *answer
	reauthorized := false
	err := c.pacer.do(ctx, cl.idempotent, func(n int) error {
		var err error
		var token string
		ans, token, err = c.attempt(ctx, cl, n)
		if inv, ok := c.tokens.(Invalidator); ok && !reauthorized && isUnauthorized(err) {
			// Once per call: the token expired or was revoked under us.
			reauthorized = true
			inv.Invalidate(token)
			if werr := c.pacer.wait(ctx); werr != nil {
				return err
			}
			c.log.InfoContext(ctx, "partnercenter: 401, retrying with a fresh token", "method", cl.method, "path", cl.path)
			ans, _, err = c.attempt(ctx, cl, n)
		}
		return err
	})
	return ans, err
}

func isUnauthorized(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.StatusCode == http.StatusUnauthorized
}

// attempt makes one HTTP exchange and reads its answer whole (capped). It
// returns the token it sent, for Invalidator.
func (c *Client) attempt(ctx context.Context, cl *call, n int) (ans *answer, token string, err error) {
	start := time.Now()
	status, requestID := 0, ""
	defer func() {
		d := time.Since(start)
		c.log.DebugContext(ctx, "partnercenter: attempt", "method", cl.method, "path", cl.path,
			"attempt", n, "status", status, "client_request_id", cl.clientRequestID,
			"request_id", requestID, "duration", d, "err", err)
		if c.observe != nil {
			c.observe(Attempt{Method: cl.method, Path: cl.path, N: n, StatusCode: status,
				ClientRequestID: cl.clientRequestID, RequestID: requestID, Duration: d, Err: err})
		}
	}()

	token, err = c.tokens.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, token, fmt.Errorf("partnercenter: get token: %w", ctx.Err())
		}
		return nil, token, &TokenError{Err: err}
	}

	actx, cancel := ctx, context.CancelFunc(func() {})
	if t := c.pacer.policy.AttemptTimeout; t > 0 {
		actx, cancel = context.WithTimeout(ctx, t)
	}
	defer cancel()
	// sent turns true once the whole request is on the wire: from then on
	// the server may act on it.
	var sent atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		},
	})

	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, cl.u.String(), body)
	if err != nil {
		return nil, token, fmt.Errorf("partnercenter: %s %s: %w", cl.method, cl.path, err)
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("client-request-id", cl.clientRequestID)
	if c.correlationID != "" {
		req.Header.Set("MS-CorrelationId", c.correlationID)
	}
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, token, c.transportError(ctx, actx, cl, sent.Load(), 0, err)
	}
	defer resp.Body.Close()
	c.seen.answered.Store(true)
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		c.seen.skew.Store(int64(d.Sub(c.now())))
		c.seen.skewKnown.Store(true)
	}
	status, requestID = resp.StatusCode, resp.Header.Get("Request-ID")
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))

	if status < 200 || status > 299 {
		// The status decides; a body cut short still shows what it can.
		return nil, token, newAPIError(cl, resp, data, time.Now())
	}
	if readErr != nil {
		return nil, token, c.transportError(ctx, actx, cl, true, status, readErr)
	}
	if int64(len(data)) > c.maxBody {
		return nil, token, c.responseError(cl, status, requestID, fmt.Errorf("body exceeds %d bytes", c.maxBody))
	}
	if !slices.Contains(cl.expect, status) {
		return nil, token, c.responseError(cl, status, requestID, fmt.Errorf("unexpected status %d %s", status, http.StatusText(status)))
	}
	return &answer{status: status, header: resp.Header, body: data}, token, nil
}

func (c *Client) transportError(ctx, actx context.Context, cl *call, sent bool, status int, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // the URL is in Path already
	}
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// Our per-attempt timeout, not the caller's: retryable, and not to
		// be mistaken for the caller's deadline.
		err = fmt.Errorf("%w after %v", ErrAttemptTimeout, c.pacer.policy.AttemptTimeout)
	}
	te := &TransportError{Method: cl.method, Path: cl.path, ClientRequestID: cl.clientRequestID,
		Sent: sent, Status: status, Err: err, write: cl.write}
	if !sent && !c.seen.answered.Load() && ctx.Err() == nil && isUnreachable(err) {
		te.Unreachable = c.base.String()
	}
	return te
}

func (c *Client) responseError(cl *call, status int, requestID string, err error) error {
	return &ResponseError{Method: cl.method, Path: cl.path, StatusCode: status,
		ClientRequestID: cl.clientRequestID, RequestID: requestID, Err: err, write: cl.write}
}

// decode unmarshals a 2xx answer into v; a body that does not decode is a
// ResponseError (in doubt for a write: the change was made).
func (c *Client) decode(cl *call, ans *answer, v any) error {
	return c.decodePart(cl, ans, ans.body, v)
}

// decodePart unmarshals part of a 2xx answer (one referral of a list page)
// into v, as decode does.
func (c *Client) decodePart(cl *call, ans *answer, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return c.responseError(cl, ans.status, ans.header.Get("Request-ID"), notJSON(ans, err))
	}
	return nil
}

// notJSON explains an answer that does not decode: a sign-in page or a
// proxy's HTML is a wrong endpoint, not a broken referral.
func notJSON(ans *answer, err error) error {
	ct := ans.header.Get("Content-Type")
	if t := bytes.TrimSpace(ans.body); (len(t) > 0 && t[0] == '<') || strings.Contains(ct, "html") {
		return fmt.Errorf("the answer is not JSON but %s (an HTML page): is the endpoint the Partner Center API? (%w)", cmpOr(ct, "markup"), err)
	}
	return fmt.Errorf("decode answer: %w", err)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *Client) decodeReferral(cl *call, ans *answer) (*Referral, error) {
	r, err := c.decodeReferralPart(cl, ans, ans.body)
	if err != nil {
		return nil, err
	}
	if r.ETag == "" {
		r.ETag = ans.header.Get("ETag")
	}
	return r, nil
}

// decodeReferralPart reads one referral of an answer tolerantly
// (DecodeReferral): a member that does not fit its field is kept in Extra
// and logged, so that one odd referral never fails a read or a list page.
// Only a value that is not a JSON object is an error.
func (c *Client) decodeReferralPart(cl *call, ans *answer, data []byte) (*Referral, error) {
	r, probs, err := DecodeReferral(data)
	if err != nil {
		return nil, c.responseError(cl, ans.status, ans.header.Get("Request-ID"), notJSON(ans, err))
	}
	if len(probs) > 0 {
		names := make([]string, len(probs))
		for i, p := range probs {
			names[i] = p.String()
		}
		c.log.Warn("referral read with members kept as sent", "id", r.ID, "path", cl.path, "members", strings.Join(names, "; "))
	}
	return &r, nil
}

func (c *Client) endpoint(elem ...string) *url.URL {
	u := c.base.JoinPath(append([]string{"v1.0", "engagements"}, elem...)...)
	// JoinPath on a base URL with an empty path yields a relative path; the
	// request line, logs and the journal want the absolute one.
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
		u.RawPath = ""
	}
	return u
}

func checkID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\?#") || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("partnercenter: invalid referral id %q", id)
	}
	return nil
}

// Create creates a referral (POST /v1.0/engagements/referrals) and returns
// the populated resource (200 or 201). It is never retried: an error for
// which IsInDoubt is true may hide a created referral, which the caller
// must find before creating again. No document shows a filter on
// externalReferenceId, so the engine looks for it by listing the newest
// referrals ($orderby=createdDateTime desc) or, for a co-sell link, the
// referrals of the engagement, and matching externalReferenceId itself.
func (c *Client) Create(ctx context.Context, r *Referral) (*Referral, error) {
	if r == nil {
		return nil, errors.New("partnercenter: create: nil referral")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("partnercenter: create: encode referral: %w", err)
	}
	ref, _, err := c.createRaw(ctx, body)
	return ref, err
}

// createRaw POSTs an encoded referral body and returns the decoded answer
// and its bytes as answered.
func (c *Client) createRaw(ctx context.Context, body []byte) (*Referral, []byte, error) {
	cl, err := c.newCall(ctx, http.MethodPost, c.endpoint("referrals"), true)
	if err != nil {
		return nil, nil, err
	}
	cl.body, cl.write, cl.idempotent = body, true, false
	cl.expect = []int{http.StatusOK, http.StatusCreated}
	ans, err := c.send(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.decodeReferral(cl, ans)
	if err != nil {
		return nil, nil, err
	}
	return r, ans.body, nil
}

// Get reads a referral (GET /v1.0/engagements/referrals/{id}). Its ETag is
// taken from the body's eTag, or else from the ETag header.
func (c *Client) Get(ctx context.Context, id string) (*Referral, error) {
	r, _, err := c.getRaw(ctx, id)
	return r, err
}

// getRaw is Get that also returns the answer's bytes.
func (c *Client) getRaw(ctx context.Context, id string) (*Referral, []byte, error) {
	if err := checkID(id); err != nil {
		return nil, nil, err
	}
	cl, err := c.newCall(ctx, http.MethodGet, c.endpoint("referrals", url.PathEscape(id)), true)
	if err != nil {
		return nil, nil, err
	}
	ans, err := c.send(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.decodeReferral(cl, ans)
	if err != nil {
		return nil, nil, err
	}
	return r, ans.body, nil
}

// Patch applies a JSON Patch of replace and add operations to a referral
// (PATCH /v1.0/engagements/referrals/{id}). ifMatch, when not empty, is
// sent as If-Match: the service then answers 412 (Conflict) if the referral
// changed, and the call is retried on transient failures, since it cannot
// apply twice (a retry after a lost answer may itself get 412; the error is
// then also IsInDoubt). Without ifMatch the call is never retried.
// preferRepresentation sends Prefer: return=representation and returns the
// updated referral; otherwise the service answers 204 and Patch returns a
// nil referral.
func (c *Client) Patch(ctx context.Context, id string, ops []PatchOp, ifMatch string, preferRepresentation bool) (*Referral, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := checkPatchOps(ops); err != nil {
		return nil, err
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("partnercenter: patch: encode operations: %w", err)
	}
	pa, err := c.patchRaw(ctx, id, body, ifMatch, preferRepresentation)
	if err != nil {
		return nil, err
	}
	return pa.ref, nil
}

func checkPatchOps(ops []PatchOp) error {
	if len(ops) == 0 {
		return errors.New("partnercenter: patch: no operations")
	}
	for i, op := range ops {
		if op.Op != OpReplace && op.Op != OpAdd {
			return fmt.Errorf("partnercenter: patch: operation %d: %q is not supported (only replace and add)", i, op.Op)
		}
	}
	return nil
}

// patchAnswer is the answer of a PATCH: the updated referral and its bytes
// (nil both on a 204), and the ETag header.
type patchAnswer struct {
	ref  *Referral
	raw  []byte
	etag string
}

// patchRaw sends an encoded JSON Patch document; see Patch.
func (c *Client) patchRaw(ctx context.Context, id string, body []byte, ifMatch string, preferRepresentation bool) (*patchAnswer, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	cl, err := c.newCall(ctx, http.MethodPatch, c.endpoint("referrals", url.PathEscape(id)), true)
	if err != nil {
		return nil, err
	}
	cl.body, cl.write = body, true
	cl.idempotent = ifMatch != ""
	cl.expect = []int{http.StatusOK, http.StatusNoContent}
	if ifMatch != "" {
		cl.header.Set("If-Match", ifMatch)
	}
	if preferRepresentation {
		cl.header.Set("Prefer", "return=representation")
	}
	ans, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	pa := &patchAnswer{etag: ans.header.Get("ETag")}
	if ans.status == http.StatusNoContent || len(bytes.TrimSpace(ans.body)) == 0 {
		return pa, nil
	}
	if pa.ref, err = c.decodeReferral(cl, ans); err != nil {
		return nil, err
	}
	pa.raw = ans.body
	return pa, nil
}

// ReferralEligibility asks whether a co-sell referral may get a deal
// registration (POST …/referrals/{id}/dealregistrations/eligibility, no
// body). The POST only reads, so it is retried like a GET.
func (c *Client) ReferralEligibility(ctx context.Context, id string) (*ReferralEligibility, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	cl, err := c.newCall(ctx, http.MethodPost, c.endpoint("referrals", url.PathEscape(id), "dealregistrations", "eligibility"), true)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true // read-only: the documents send no payload and it changes nothing
	cl.header.Set("Prefer", "return=representation")
	ans, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	var e ReferralEligibility
	if err := c.decode(cl, ans, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// PartnerEligibility asks whether the partner may register deals
// (GET /v1.0/engagements/partners/dealregistrationeligibility).
func (c *Client) PartnerEligibility(ctx context.Context) (*PartnerEligibility, error) {
	cl, err := c.newCall(ctx, http.MethodGet, c.endpoint("partners", "dealregistrationeligibility"), true)
	if err != nil {
		return nil, err
	}
	cl.header.Set("Prefer", "return=representation")
	ans, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	var e PartnerEligibility
	if err := c.decode(cl, ans, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListQuery selects referrals. Filter and OrderBy are OData expressions
// written as the documents write them ("status eq 'New'",
// "createdDateTime desc"); the client encodes them. Top, when positive, is
// the total number of referrals wanted, as Microsoft's Swagger defines
// $top ("total number of entries to retrieve"), not a page size: it is sent
// as $top, and List also stops after Top referrals itself, so the result is
// the same whichever way a service reads $top. The engine never sets it.
type ListQuery struct {
	Filter  string
	OrderBy string
	Top     int
}

// FilterEq returns the OData expression "field eq 'value'", doubling any
// single quote in value as OData requires.
func FilterEq(field, value string) string {
	return field + " eq '" + strings.ReplaceAll(value, "'", "''") + "'"
}

// List yields the referrals q selects, page by page
// (GET /v1.0/engagements/referrals), following @odata.nextLink until the
// last page, until q.Top referrals were yielded, or until the caller stops
// ranging. A nextLink is resolved against the page it came from and
// followed only to the base URL's host and port (else ErrForeignNextLink),
// always with the base URL's scheme: the documents' own example link is
// http:// ("http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=…"),
// and the token must never cross a network in clear text, so such a link
// is upgraded to https (http stays only for a loopback base URL, the
// sandbox). The same example's path lacks /engagements: a link to
// {base}/v1.0/referrals (or the documents' misspelt /v1.0/engagments/
// referrals) is read as the list endpoint {base}/v1.0/engagements/referrals
// with the link's query. A referral whose members do not all fit their
// fields is yielded anyway, the odd members kept in its Extra
// (DecodeReferral): one odd referral never fails a page. An error is
// yielded once, with a zero Referral, and ends the sequence. Each page is
// one GET, retried on its own.
func (c *Client) List(ctx context.Context, q ListQuery) iter.Seq2[Referral, error] {
	return func(yield func(Referral, error) bool) {
		for rr, err := range c.listRaw(ctx, q) {
			if !yield(rr.ref, err) || err != nil {
				return
			}
		}
	}
}

// rawReferral is one referral of a list page, decoded and as answered.
type rawReferral struct {
	ref Referral
	raw json.RawMessage
}

// rawPage is a ReferralPage whose values keep their bytes.
type rawPage struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink,omitempty"`
}

// listRaw is List that also yields each referral's bytes as answered.
func (c *Client) listRaw(ctx context.Context, q ListQuery) iter.Seq2[rawReferral, error] {
	return func(yield func(rawReferral, error) bool) {
		if q.Top < 0 {
			yield(rawReferral{}, fmt.Errorf("partnercenter: list: negative $top %d", q.Top))
			return
		}
		u := c.endpoint("referrals")
		u.RawQuery = listQuery(q)
		seen := map[string]bool{}
		yielded := 0
		for page := 1; ; page++ {
			seen[u.String()] = true
			cl, err := c.newCall(ctx, http.MethodGet, u, page == 1)
			if err != nil {
				yield(rawReferral{}, err)
				return
			}
			ans, err := c.send(ctx, cl)
			if err != nil {
				yield(rawReferral{}, fmt.Errorf("list page %d: %w", page, err))
				return
			}
			var p rawPage
			err = c.decode(cl, ans, &p)
			refs := make([]Referral, len(p.Value))
			for i := 0; err == nil && i < len(p.Value); i++ {
				var r *Referral
				if r, err = c.decodeReferralPart(cl, ans, p.Value[i]); err == nil {
					refs[i] = *r
				}
			}
			if err != nil {
				yield(rawReferral{}, fmt.Errorf("list page %d: %w", page, err))
				return
			}
			for i := range refs {
				if !yield(rawReferral{ref: refs[i], raw: p.Value[i]}, nil) {
					return
				}
				if yielded++; q.Top > 0 && yielded >= q.Top {
					return
				}
			}
			if p.NextLink == "" {
				return
			}
			next, err := c.resolveNextLink(u, p.NextLink)
			if err == nil && seen[next.String()] {
				err = fmt.Errorf("partnercenter: list: nextLink %q repeats an earlier page", p.NextLink)
			}
			if err != nil {
				yield(rawReferral{}, err)
				return
			}
			u = next
		}
	}
}

// listQuery encodes q with %20 for spaces (not "+", which OData services
// may read literally) and the $ of system query options left as is.
func listQuery(q ListQuery) string {
	var parts []string
	add := func(k, v string) {
		parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	if q.Filter != "" {
		add("$filter", q.Filter)
	}
	if q.OrderBy != "" {
		add("$orderby", q.OrderBy)
	}
	if q.Top > 0 {
		add("$top", strconv.Itoa(q.Top))
	}
	return strings.Join(parts, "&")
}

// resolveNextLink resolves link against the page it came from (see List):
// it must name the base URL's host, and its port must be the base URL's or
// the default of its own scheme; it is then sent with the base URL's scheme
// and port, and a path {base}/v1.0/referrals becomes the list endpoint.
func (c *Client) resolveNextLink(from *url.URL, link string) (*url.URL, error) {
	ref, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return nil, fmt.Errorf("partnercenter: list: bad nextLink: %w", err)
	}
	next := from.ResolveReference(ref)
	if !c.sameService(next) || next.User != nil {
		return nil, fmt.Errorf("partnercenter: list: %w: %s://%s", ErrForeignNextLink, next.Scheme, next.Host)
	}
	next.Scheme, next.Host = c.base.Scheme, c.base.Host
	next.Fragment, next.RawFragment = "", ""
	next.RawQuery = escapeQuery(next.RawQuery)
	if rest, ok := strings.CutPrefix(next.Path, c.base.Path); ok {
		switch strings.ToLower(strings.TrimSuffix(rest, "/")) {
		case "/v1.0/referrals", "/v1.0/engagments/referrals":
			next.Path, next.RawPath = c.endpoint("referrals").Path, ""
		}
	}
	return next, nil
}

// sameService reports whether u names the base URL's host: same host name,
// http or https, and a port that is the base URL's or the default one of
// u's scheme (the documents' links are http:// to the https service).
func (c *Client) sameService(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
		return false
	}
	if !strings.EqualFold(u.Hostname(), c.base.Hostname()) {
		return false
	}
	return u.Port() == "" || u.Port() == effectivePort(c.base) || u.Port() == effectivePort(&url.URL{Scheme: u.Scheme})
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// escapeQuery percent-encodes the bytes a query may not hold as they are
// (the service's own links carry raw spaces: "$filter=engagementId eq '…'"),
// leaving existing escapes and the delimiters alone.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		ch := q[i]
		if ch == '%' && i+2 < len(q) && isHex(q[i+1]) && isHex(q[i+2]) || queryByteOK(ch) {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

func isHex(ch byte) bool {
	return '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F'
}

// queryByteOK: RFC 3986 unreserved, sub-delims, ":", "@", "/" and "?".
func queryByteOK(ch byte) bool {
	switch {
	case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?", ch) >= 0
}
