package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// Paths the sandbox serves.
const (
	referralsPath           = "/v1.0/engagements/referrals"
	partnerEligibilityPath  = "/v1.0/engagements/partners/dealregistrationeligibility"
	eligibilitySuffix       = "dealregistrations/eligibility"
	legacyReferralsPath     = "/v1/referrals"
	AdminReferralsPath      = "/_sandbox/referrals" // admin dump: every stored referral, no auth, no faults
	defaultMaxBodyBytes     = 1 << 20
	defaultOrganizationID   = "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d"
	defaultOrganizationName = "Contoso Company"
)

// Options configure a Server. The zero value is a working sandbox with no
// faults that accepts any non-empty Bearer token.
type Options struct {
	Faults
	TokenOptions                  // the Azure AD stand-in: token lifetime, refresh tokens, device codes (token.go)
	Token        string           // required Bearer token; "" = any non-empty token
	AcceptAfter  time.Duration    // Microsoft referrals created by a co-sell link turn Active/Accepted after this delay (0 = never by themselves)
	Now          func() time.Time // injectable clock; nil = time.Now
	// ClockSkew puts the sandbox's clock this far ahead of Now (behind when
	// negative): its createdDateTime, updatedDateTime and Date headers, as
	// a service whose clock differs from the client's would answer.
	ClockSkew time.Duration
	// ListLag delays what listings show, as an eventually consistent
	// service does: a referral appears in listings, and a change in its
	// listed values, ListLag after it was written. Reads by id are
	// immediate.
	ListLag      time.Duration
	MaxBodyBytes int64 // request body cap; default 1 MiB (a larger body is a 413)
	PageSize     int   // referrals per list page; default DefaultPageSize (100), at most MaxPageSize

	// OrganizationID and OrganizationName are the calling partner's
	// organisation, stamped on every referral it creates; defaults
	// "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d" and "Contoso Company" (from the
	// create-referral response example).
	OrganizationID   string
	OrganizationName string

	// AzureIPCoSellSolutions is the catalog of solution ids that are Azure IP
	// co-sell eligible (policy isSolutionIncentiveEligible). An entry ending
	// in "*" is a prefix. nil = DefaultAzureIPCoSellSolutions().
	AzureIPCoSellSolutions []string

	// FXToUSD converts deal values to USD for isDealValueEligible: the value
	// of one unit of each ISO 4217 currency in USD. nil = DefaultFXToUSD().
	FXToUSD map[string]float64

	// PartnerIneligible makes GET …/partners/dealregistrationeligibility
	// answer isEligible false, and every deal registration fail.
	PartnerIneligible bool

	// Logger, when set, receives one line per request: method, path,
	// status, duration and any injected fault.
	Logger *slog.Logger

	// StateFile, read by Open (New ignores it), is where the sandbox keeps
	// its referrals across restarts; "" keeps them in memory only.
	StateFile string

	// Microsoft's side (microsoft.go), each decided from Faults.Seed:
	// DeclineRate is the share of co-sell links Microsoft declines when they
	// come due (AcceptAfter) instead of accepting them; ExpireAfter sets
	// expirationDateTime on Microsoft's referrals, which expire if still New
	// then; ReviewAfter puts new deal registrations under review, Approved or
	// Failed that long after they were registered; RejectRate is the share
	// of reviews that fail besides those registered within 72 hours.
	// ArchiveLag is how long after its expirationDateTime an unanswered
	// referral is archived as Expired: Partner Center archives by a job
	// of its own, so a lead can still read New just after its window.
	DeclineRate float64
	ExpireAfter time.Duration
	ReviewAfter time.Duration
	RejectRate  float64
	ArchiveLag  time.Duration
}

// Server is an in-memory Partner Center Referrals API. It implements
// http.Handler and is safe for concurrent use.
type Server struct {
	opts    Options
	now     func() time.Time
	maxBody int64
	catalog []string
	fx      map[string]float64
	log     *slog.Logger
	faults  faultState
	tokens  tokenIssuer // issued tokens and device codes (token.go)

	mu          sync.Mutex // guards everything below
	byID        map[string]*record
	order       []*record            // creation order
	engagements map[string][]*record // lower-case engagement id → its referrals, creation order
	pending     map[*record]struct{} // Microsoft referrals waiting for automatic acceptance
	expiring    map[*record]struct{} // Microsoft referrals New with an expirationDateTime
	reviewing   map[*record]struct{} // referrals with a registration under review
	seq         int64
	etagSeq     uint64
	state       *stateFile // nil: in memory only
}

// record is one stored referral. A stored pc.Referral is never mutated below
// its top-level fields: a patch builds a new value, so a shallow copy taken
// under the lock can be encoded after it is released.
type record struct {
	ref      pc.Referral // without links and @odata.context, which are rendered per response
	seq      int64
	acceptAt time.Time // zero: no automatic acceptance pending

	// With Options.ListLag: the versions written within the lag, oldest
	// first, with the last one older than the lag (what listings show)
	// kept at the front; empty for a referral read from a state file.
	history []version
}

// version is what a referral was from a write on.
type version struct {
	at  time.Time
	ref pc.Referral
}

// setRef records a write of rec (callers hold s.mu). Under a listing lag
// the history keeps every version a listing may still show: the newest one
// written at least ListLag ago, and those written since.
func (s *Server) setRef(rec *record, next pc.Referral) {
	rec.ref = next
	if s.opts.ListLag <= 0 {
		return
	}
	now := s.now()
	rec.history = append(rec.history, version{at: now, ref: next})
	settled := -1
	for i, v := range rec.history {
		if now.Sub(v.at) >= s.opts.ListLag {
			settled = i
		}
	}
	if settled > 0 {
		rec.history = rec.history[settled:]
	}
}

// listedRef is what listings show of rec now: the newest version written
// at least ListLag ago; ok is false while even its first version is newer
// (a referral just created is not listed yet).
// The pointer is valid while s.mu is held.
func (s *Server) listedRef(rec *record, now time.Time) (*pc.Referral, bool) {
	if s.opts.ListLag <= 0 || len(rec.history) == 0 {
		return &rec.ref, true
	}
	for i := len(rec.history) - 1; i >= 0; i-- {
		if now.Sub(rec.history[i].at) >= s.opts.ListLag {
			return &rec.history[i].ref, true
		}
	}
	return nil, false
}

// New returns a Server with no referrals, kept in memory: it ignores
// Options.StateFile (Open reads it).
func New(opts Options) *Server {
	s := &Server{
		opts:        opts,
		now:         opts.Now,
		maxBody:     opts.MaxBodyBytes,
		catalog:     opts.AzureIPCoSellSolutions,
		fx:          opts.FXToUSD,
		log:         opts.Logger,
		byID:        map[string]*record{},
		engagements: map[string][]*record{},
		pending:     map[*record]struct{}{},
		expiring:    map[*record]struct{}{},
		reviewing:   map[*record]struct{}{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if skew := opts.ClockSkew; skew != 0 {
		base := s.now
		s.now = func() time.Time { return base().Add(skew) }
	}
	if s.maxBody <= 0 {
		s.maxBody = defaultMaxBodyBytes
	}
	if s.catalog == nil {
		s.catalog = DefaultAzureIPCoSellSolutions()
	}
	if s.fx == nil {
		s.fx = DefaultFXToUSD()
	}
	if s.opts.OrganizationID == "" {
		s.opts.OrganizationID = defaultOrganizationID
	}
	if s.opts.OrganizationName == "" {
		s.opts.OrganizationName = defaultOrganizationName
	}
	s.faults.set(opts.Faults, s.now())
	return s
}

// SetFaults changes the injected faults. It also reseeds the fault source
// with f.Seed and refills the rate limiter, so the fault sequence is
// reproducible from the moment of the call.
func (s *Server) SetFaults(f Faults) { s.faults.set(f, s.now()) }

// Referrals returns a deep copy of every stored referral, ordered by
// creation. Links are relative ("/v1.0/engagements/referrals/{id}").
func (s *Server) Referrals() []pc.Referral {
	refs := s.snapshot()
	out := make([]pc.Referral, len(refs))
	for i := range refs {
		r := refs[i]
		r.Links = referralLinks("", r.ID, r.EngagementID)
		out[i] = deepCopy(r)
	}
	return out
}

// locked runs f holding the state lock, released even if f panics (the
// recover middleware answers 500 and the sandbox keeps serving).
func (s *Server) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptDue()
	s.microsoftDue(s.now())
	f()
}

// snapshot returns shallow copies of the stored referrals in creation order.
func (s *Server) snapshot() []pc.Referral {
	var refs []pc.Referral
	s.locked(func() {
		refs = make([]pc.Referral, len(s.order))
		for i, rec := range s.order {
			refs[i] = rec.ref
		}
	})
	return refs
}

// acceptDue applies automatic acceptances that have come due, so that every
// reader sees the clock's effect without a goroutine. Callers hold s.mu.
func (s *Server) acceptDue() {
	if len(s.pending) == 0 {
		return
	}
	now := s.now()
	due := make([]*record, 0, len(s.pending))
	for rec := range s.pending {
		if !now.Before(rec.acceptAt) {
			due = append(due, rec)
		}
	}
	// In creation order, so that eTags and the state file do not depend on
	// map iteration.
	slices.SortFunc(due, func(a, b *record) int { return cmp.Compare(a.seq, b.seq) })
	for _, rec := range due {
		if rec.ref.Status != pc.StatusNew {
			delete(s.pending, rec)
			rec.acceptAt = time.Time{}
			continue
		}
		at := rec.acceptAt.UTC()
		next := rec.ref
		if declined, reason := s.microsoftAnswer(&next); declined {
			next.Status, next.Substatus, next.StatusReason = pc.StatusClosed, pc.SubstatusDeclined, reason
			next.ClosedDateTime, next.UpdatedDateTime = &at, &at
		} else {
			next.Status, next.Substatus = pc.StatusActive, pc.SubstatusAccepted
			next.AcceptedDateTime, next.UpdatedDateTime = &at, &at
		}
		next.ETag = s.nextETag(at)
		if e := s.persistLocked(rec.seq, next, time.Time{}, false); e != nil {
			// Not accepted yet: the next read tries again.
			if s.log != nil {
				s.log.Error("automatic acceptance not saved", "id", rec.ref.ID, "error", e.message)
			}
			continue
		}
		delete(s.pending, rec)
		s.setRef(rec, next)
		rec.acceptAt = time.Time{}
		s.track(rec)
	}
	s.maybeCompactLocked()
}

// nextETag returns a new quoted entity tag shaped like the documents' ones.
// Callers hold s.mu.
func (s *Server) nextETag(now time.Time) string {
	s.etagSeq++
	return fmt.Sprintf("\"%08x-0000-0000-0000-%012x\"", s.etagSeq, uint64(now.Unix())&0xffffffffffff)
}

// ServeHTTP answers one request: admin dump, else faults, auth, and the API.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The Date header on the sandbox's own clock (Options.ClockSkew), as a
	// service whose clock differs from the client's would send it.
	rw.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	w := &statusWriter{ResponseWriter: rw}
	var fault string
	defer func() {
		if s.log == nil {
			return
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", w.status), slog.Duration("duration", time.Since(start)),
		}
		if w.dropped {
			fault = "drop"
		}
		if w.fault != "" {
			fault = w.fault
		}
		if fault != "" {
			attrs = append(attrs, slog.String("fault", fault))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	}()
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if rec == http.ErrAbortHandler {
			panic(rec)
		}
		if s.log != nil {
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(rec))
		}
		if w.status == 0 && !w.dropped {
			writeError(w, &apiError{status: http.StatusInternalServerError, code: codeInternal, message: "internal error in the sandbox"})
		}
	}()
	w.Header().Set("Request-ID", uuid.NewString())
	// headers.md: client-request-id is the caller's id of the call, sent back
	// so that logs on both sides can be matched.
	if id := r.Header.Get("Client-Request-Id"); id != "" {
		w.Header().Set("Client-Request-Id", id)
	}
	if e := checkRequestSize(r); e != nil {
		writeError(w, e)
		return
	}

	if strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), AdminReferralsPath) {
		s.serveAdmin(w, r)
		return
	}
	if s.serveTokens(w, r) {
		return
	}

	d := s.faults.decide(s.now())
	if !sleep(r.Context(), d.delay) {
		fault = "client gone during latency"
		return
	}
	switch {
	case d.throttled:
		fault = "rate limit"
		writeThrottled(w, d.retryAfter, d.partnerCenter429)
		return
	case d.fail == http.StatusServiceUnavailable:
		fault = "fail"
		w.Header().Set("Retry-After", "1")
		writeError(w, &apiError{status: d.fail, code: codeUnavailable, message: "service unavailable (injected fault)"})
		return
	case d.fail != 0:
		fault = "fail"
		writeError(w, &apiError{status: d.fail, code: codeInternal, message: "internal server error (injected fault)"})
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, target: "Authorization",
			message: "a valid Bearer token is required in the Authorization header"})
		return
	}
	s.route(w, r, d)
}

func (s *Server) route(w *statusWriter, r *http.Request, d faultDecision) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	lower := strings.ToLower(path)
	switch {
	case lower == referralsPath:
		switch r.Method {
		case http.MethodGet:
			s.handleList(w, r)
		case http.MethodPost:
			s.handleCreate(w, r, d)
		default:
			methodNotAllowed(w, r, "GET, POST")
		}
	case strings.HasPrefix(lower, referralsPath+"/"):
		rest := path[len(referralsPath)+1:]
		id, sub, _ := strings.Cut(rest, "/")
		switch {
		case sub == "":
			switch r.Method {
			case http.MethodGet:
				s.handleGet(w, r, id)
			case http.MethodPatch:
				s.handlePatch(w, r, id, d)
			default:
				methodNotAllowed(w, r, "GET, PATCH")
			}
		case strings.EqualFold(sub, eligibilitySuffix):
			if r.Method != http.MethodPost {
				methodNotAllowed(w, r, "POST")
				return
			}
			s.handleEligibility(w, r, id)
		default:
			notFound(w, r.URL.Path)
		}
	case lower == partnerEligibilityPath:
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		s.handlePartnerEligibility(w)
	case strings.HasPrefix(lower, legacyReferralsPath+"/") && !strings.Contains(path[len(legacyReferralsPath)+1:], "/"):
		// The legacy get (get-referral-by-id-v1-legacy.md) answers like the v1.0 one.
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		s.handleGet(w, r, path[len(legacyReferralsPath)+1:])
	default:
		notFound(w, r.URL.Path)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	return s.acceptsToken(tok)
}

// serveAdmin answers GET /_sandbox/referrals: every stored referral, in
// creation order, as a JSON array. It sits outside auth and faults so tests
// can always see the truth.
func (s *Server) serveAdmin(w *statusWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	base := baseURL(r)
	refs := s.snapshot()
	for i := range refs {
		refs[i].Links = referralLinks(base, refs[i].ID, refs[i].EngagementID)
	}
	writeJSON(w, http.StatusOK, refs)
}

func (s *Server) find(id string) *record { return s.byID[strings.ToLower(id)] }

func (s *Server) handleGet(w *statusWriter, r *http.Request, id string) {
	var rec *record
	var ref pc.Referral
	s.locked(func() {
		if rec = s.find(id); rec != nil {
			ref = rec.ref
		}
	})
	if rec == nil {
		referralNotFound(w, id)
		return
	}
	s.writeReferral(w, r, http.StatusOK, ref, true)
}

// writeReferral renders a stored referral for this request's host and sends
// it with its ETag header.
func (s *Server) writeReferral(w http.ResponseWriter, r *http.Request, status int, ref pc.Referral, withContext bool) {
	base := baseURL(r)
	ref.Links = referralLinks(base, ref.ID, ref.EngagementID)
	if withContext {
		ref.ODataContext = base + referralsPath + "/$metadata#Referrals/$entity"
	}
	w.Header().Set("ETag", ref.ETag)
	writeJSON(w, status, ref)
}

func (s *Server) handlePartnerEligibility(w http.ResponseWriter) {
	ok := !s.opts.PartnerIneligible
	writeJSON(w, http.StatusOK, pc.PartnerEligibility{IsEligible: ok, Policies: []pc.EligibilityPolicy{{IsEligible: ok}}})
}

// readBody reads a request body up to the cap.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.Body == nil { // only from in-process callers; net/http always sets one
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		// error-codes.md: 413, "the request size exceeds the maximum limit".
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: codeBodyTooLarge, target: "body",
			message: fmt.Sprintf("the body is larger than the sandbox's limit of %d bytes", mbe.Limit)}
	case err != nil:
		return nil, badRequest(codeInvalidJSON, "body", "reading the body: %v", err)
	}
	return body, nil
}

// dropConnection closes the connection without an answer: the change is
// committed, the caller never hears of it.
func (s *Server) dropConnection(w *statusWriter) {
	w.dropped = true
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	// No hijacking (HTTP/2): abort the stream, which the server turns into
	// a reset without a response.
	panic(http.ErrAbortHandler)
}

// referralLinks returns the links of a referral; base "" gives relative URIs.
func referralLinks(base, id, engagementID string) *pc.ReferralLinks {
	return &pc.ReferralLinks{
		RelatedReferrals: &pc.Link{
			URI:    base + referralsPath + "?$filter=" + queryEscape("engagementId eq '"+engagementID+"'"),
			Method: http.MethodGet,
		},
		Self: &pc.Link{URI: base + referralsPath + "/" + id, Method: http.MethodGet},
	}
}

// baseURL is the scheme and host the request came to, so links point back at
// this sandbox whatever port it listens on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// queryEscape escapes a query value with %20 for spaces, which every client
// reads, rather than "+".
func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		e := &apiError{status: status, code: codeInternal, message: "encoding the answer: " + err.Error()}
		_ = json.NewEncoder(&buf).Encode(e.envelope())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.status, e.envelope()) }

func notFound(w http.ResponseWriter, path string) {
	writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, target: path, message: "no resource at " + path})
}

func referralNotFound(w http.ResponseWriter, id string) {
	writeError(w, &apiError{status: http.StatusNotFound, code: codeNotFound, target: "id", message: fmt.Sprintf("no referral with id %q", id)})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, target: r.Method,
		message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)})
}

// Limits on the request line and headers. Beyond them the answer is 414 or
// 431 with the JSON error body. net/http refuses a request whose line and
// headers exceed the server's MaxHeaderBytes (1 MiB by default) itself,
// with a plain-text 431, before any handler runs: serve the sandbox with
// NewHTTPServer, whose MaxHeaderBytes is above these limits, and every
// oversized request gets the JSON body.
const (
	MaxURIBytes    = 32 << 10 // request target (path and query)
	MaxHeaderBytes = 64 << 10 // all header lines together
)

func checkRequestSize(r *http.Request) *apiError {
	if n := len(r.RequestURI); n > MaxURIBytes {
		return &apiError{status: http.StatusRequestURITooLong, code: codeURITooLong, target: "uri",
			message: fmt.Sprintf("the request URI has %d bytes; the sandbox reads at most %d", n, MaxURIBytes)}
	}
	n := 0
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	if n > MaxHeaderBytes {
		return &apiError{status: http.StatusRequestHeaderFieldsTooLarge, code: codeHeadersTooLarge, target: "headers",
			message: fmt.Sprintf("the request headers have %d bytes; the sandbox reads at most %d", n, MaxHeaderBytes)}
	}
	return nil
}

// NewHTTPServer returns an http.Server for h (a sandbox) on addr whose
// MaxHeaderBytes lets oversized requests reach the sandbox, so that they
// are answered 414 or 431 with the JSON error body rather than net/http's
// plain text.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: ServerMaxHeaderBytes}
}

// ServerMaxHeaderBytes is the http.Server MaxHeaderBytes that lets every
// request up to 8 MiB of request line and headers reach the sandbox, which
// answers those over MaxURIBytes or MaxHeaderBytes with the JSON error body.
const ServerMaxHeaderBytes = 8 << 20

// statusWriter records the status for the request log and lets
// http.ResponseController reach the connection for hijacking.
type statusWriter struct {
	http.ResponseWriter
	status  int
	dropped bool
	fault   string // a fault a handler injected, for the request log
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// deepCopy copies a referral through JSON, which every field survives.
func deepCopy(r pc.Referral) pc.Referral {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("sandbox: copying a stored referral: %v", err))
	}
	var out pc.Referral
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("sandbox: copying a stored referral: %v", err))
	}
	return out
}
