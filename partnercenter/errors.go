package partnercenter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Class is what a caller should do about an error. Errors are classified
// here, at the HTTP edge, by behaviour, so the engine asks one question:
// Classify(err).
type Class int

// Error classes.
const (
	// NoError is the class of a nil error.
	NoError Class = iota
	// Retryable: a 5xx, a 408, a 429 or 503 without Retry-After, or a network
	// error (including a connection dropped before any response). Trying again
	// later may succeed; for a write, check IsInDoubt first.
	Retryable
	// RetryAfter: a 429, or a 503 with Retry-After; wait APIError.Wait
	// (and slow down) before trying again.
	RetryAfter
	// Conflict: 412 Precondition Failed; the referral changed since its eTag
	// was read. Re-read, re-check and rebuild the patch.
	Conflict
	// Permanent: any other 4xx (and any error not otherwise classified, such
	// as an undecodable answer); the same request will fail again.
	Permanent
	// Fatal: 401 or 403, a failing TokenSource, an untrusted certificate. No
	// request will succeed until the configuration is fixed: stop the run.
	Fatal
	// Canceled: the caller's context was canceled or its deadline passed.
	// Not retryable: the caller asked to stop.
	Canceled
)

var classNames = [...]string{"no error", "retryable", "retry-after", "conflict", "permanent", "fatal", "canceled"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Classify says what to do about err, which may wrap an *APIError, a
// *TransportError or a *TokenError. Context cancellation wins over
// everything it wraps: a request the caller canceled is Canceled even if a
// retryable error came first. Errors this package did not produce are
// Permanent.
func Classify(err error) Class {
	if err == nil {
		return NoError
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	if _, ok := errors.AsType[*TokenError](err); ok {
		return Fatal
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.class()
	}
	if te, ok := errors.AsType[*TransportError](err); ok {
		if isCertificateError(te.Err) || te.Unreachable != "" {
			return Fatal
		}
		return Retryable
	}
	return Permanent
}

// IsInDoubt reports whether err ended a write (a create POST or a PATCH)
// that the server may nevertheless have applied: the request was sent and
// the connection failed before the answer was read, the call was canceled
// while waiting for the answer, the server answered 2xx with a body that
// could not be read, the server answered a gateway-style 5xx, or an
// earlier attempt of a retried PATCH was itself in doubt. Such a step must
// be reconciled (list or get) before it is sent again; never blindly
// repeated. It is false for reads and for writes that provably did not
// leave the client.
func IsInDoubt(err error) bool {
	d, ok := errors.AsType[interface {
		error
		InDoubt() bool
	}](err)
	return ok && d.InDoubt()
}

// APIError is an HTTP answer outside 2xx from the Referrals API, with the
// documented error envelope {"error":{"code","message","target","innerError"}}
// decoded when the body holds one. A body that is not the envelope (an HTML
// page from a gateway, plain text) leaves Code empty and puts the start of
// the body in Message.
type APIError struct {
	Method     string // request method
	Path       string // request path, without query
	StatusCode int
	Code       string
	Message    string
	Target     string
	InnerError *InnerError
	// ClientRequestID is the client-request-id this client sent; RequestID
	// the Request-ID the service answered with. Quote both in a support
	// ticket.
	ClientRequestID string
	RequestID       string
	// Wait is the server's Retry-After (seconds or an HTTP date, converted
	// to a duration; or the wait a Partner Center 429 body names), 0 when
	// absent. Uncapped: the pacer caps what it sleeps. RetryAfter() answers
	// it to the engine.
	Wait time.Duration

	write bool // the request was a create or a patch
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "partnercenter: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" ")
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Target != "" {
		fmt.Fprintf(&b, " (target %s)", e.Target)
	}
	if e.Wait > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.Wait)
	}
	if e.ClientRequestID != "" {
		fmt.Fprintf(&b, " [client-request-id %s", e.ClientRequestID)
		if e.RequestID != "" {
			fmt.Fprintf(&b, ", request-id %s", e.RequestID)
		}
		b.WriteString("]")
	}
	return b.String()
}

// InDoubt reports whether a write that got this answer may have been
// applied anyway: a 500, 502 or 504 can come from a gateway or a backend
// that failed after committing. 503, 501 and every 4xx say the request was
// not processed.
func (e *APIError) InDoubt() bool {
	if !e.write {
		return false
	}
	switch e.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return e.StatusCode > 504 && e.StatusCode < 600 && e.StatusCode != http.StatusHTTPVersionNotSupported &&
		e.StatusCode != StatusBandwidthLimitExceeded
}

// StatusBandwidthLimitExceeded is the non-standard 509 some gateways in
// front of Microsoft's APIs answer when a quota is used up. It is
// throttling, as 429 is: the request was refused, not processed.
const StatusBandwidthLimitExceeded = 509

// IsThrottleStatus reports whether an HTTP status says the caller is going
// too fast: 429, or 509. (503 is the service shedding load, which is
// throttling only when many answers are 503: the adaptive limiter decides.)
func IsThrottleStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == StatusBandwidthLimitExceeded
}

// Throttled reports a 429 or 509: the caller exceeded a rate limit.
func (e *APIError) Throttled() bool { return IsThrottleStatus(e.StatusCode) }

func (e *APIError) class() Class {
	switch s := e.StatusCode; {
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return Fatal
	case s == http.StatusPreconditionFailed:
		return Conflict
	case s == http.StatusRequestTimeout:
		return Retryable
	case s == http.StatusTooManyRequests, s == http.StatusServiceUnavailable, s == StatusBandwidthLimitExceeded:
		if e.Wait > 0 {
			return RetryAfter
		}
		return Retryable
	case s == http.StatusNotImplemented, s == http.StatusHTTPVersionNotSupported:
		return Permanent
	case s >= 500 && s < 600:
		return Retryable
	}
	return Permanent
}

// TransportError is a request that got no HTTP answer: the connection could
// not be made, or it failed while the request was written or the answer
// read, or the attempt timed out. It is Retryable (Fatal for an untrusted
// certificate).
type TransportError struct {
	Method          string
	Path            string
	ClientRequestID string
	// Sent is true when the whole request was written to the connection, so
	// the server may have acted on it. A request that failed while dialing
	// or writing was not processed.
	Sent bool
	// Status is the HTTP status when the failure came while reading a
	// response body, else 0.
	Status int
	Err    error
	// Unreachable names the API's base URL when nothing there has ever
	// answered this client and the request could not even be sent (the
	// name does not resolve, the connection is refused, TLS fails): every
	// request will fail the same way, so the error is fatal, not retried.
	Unreachable string

	write bool
}

func (e *TransportError) Error() string {
	var b strings.Builder
	if e.Unreachable != "" {
		fmt.Fprintf(&b, "cannot reach the Partner Center API at %s (nothing there has answered): ", e.Unreachable)
		b.WriteString(e.Err.Error())
		return b.String()
	}
	fmt.Fprintf(&b, "partnercenter: %s %s: ", e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, "reading %d answer: ", e.Status)
	}
	b.WriteString(e.Err.Error())
	if e.Sent {
		b.WriteString(" (request was sent)")
	} else {
		b.WriteString(" (request not sent)")
	}
	if e.ClientRequestID != "" {
		fmt.Fprintf(&b, " [client-request-id %s]", e.ClientRequestID)
	}
	return b.String()
}

func (e *TransportError) Unwrap() error { return e.Err }

// InDoubt reports whether the failed request was a write that reached the
// server: it may have been applied.
func (e *TransportError) InDoubt() bool { return e.write && e.Sent }

// ErrAttemptTimeout is the cause of a TransportError for an attempt that
// exceeded RetryPolicy.AttemptTimeout while the caller's context was still
// alive. Unlike a canceled context it is Retryable.
var ErrAttemptTimeout = errors.New("attempt timed out")

// ResponseError is a 2xx answer the client could not use: an unexpected
// status, a body over the size cap or one that does not decode. For a write
// it is in doubt: the server said it applied the change, but the caller did
// not learn the result. Permanent.
type ResponseError struct {
	Method          string
	Path            string
	StatusCode      int
	ClientRequestID string
	RequestID       string
	Err             error

	write bool
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("partnercenter: %s %s: %d answer: %v [client-request-id %s]", e.Method, e.Path, e.StatusCode, e.Err, e.ClientRequestID)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// InDoubt reports whether the answer was to a write: the change was applied
// but its result is unknown.
func (e *ResponseError) InDoubt() bool { return e.write }

// TokenError is a failure of the TokenSource. It is Fatal: nothing can be
// sent without a token (unless the TokenSource's own error is a canceled
// context).
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "partnercenter: get token: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// priorInDoubtError marks the final error of a retried write one of whose
// earlier attempts may have been applied: a 412 after a PATCH whose first
// answer was lost may be the result of that first PATCH itself.
type priorInDoubtError struct{ err error }

func (e *priorInDoubtError) Error() string {
	return e.err.Error() + " (an earlier attempt may have been applied)"
}
func (e *priorInDoubtError) Unwrap() error { return e.err }
func (e *priorInDoubtError) InDoubt() bool { return true }

// ErrForeignNextLink is returned by List when the service's @odata.nextLink
// points at another scheme or host than the client's base URL: following it
// would send the token elsewhere.
var ErrForeignNextLink = errors.New("nextLink points to another host")

// isUnreachable reports errors that say the host cannot be reached at
// all: a name that does not resolve, a refused or unroutable connection, a
// TLS handshake that fails.
func isUnreachable(err error) bool {
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	return isCertificateError(err)
}

func isCertificateError(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	_, ok := errors.AsType[x509.CertificateInvalidError](err)
	return ok
}

// maxErrorMessage bounds how much of a non-JSON error body ends up in
// APIError.Message (and so in logs and the journal).
const maxErrorMessage = 512

// newAPIError builds an APIError from a non-2xx answer and its (capped)
// body. It never fails: a body that is not the envelope becomes the message.
func newAPIError(c *call, resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{
		Method:          c.method,
		Path:            c.path,
		StatusCode:      resp.StatusCode,
		ClientRequestID: c.clientRequestID,
		RequestID:       resp.Header.Get("Request-ID"),
		Wait:            parseRetryAfter(resp.Header.Get("Retry-After"), now),
		write:           c.write,
	}
	var env ErrorEnvelope
	if err := json.Unmarshal(body, &env); err == nil && (env.Error.Code != "" || env.Error.Message != "") {
		e.Code = env.Error.Code
		e.Message = env.Error.Message
		e.Target = env.Error.Target
		e.InnerError = env.Error.InnerError
		return e
	}
	// Partner Center's throttling answer is not the envelope:
	// {"statusCode":429,"message":"Rate limit is exceeded. Try again in 57 seconds."}
	var pc throttleBody
	if err := json.Unmarshal(body, &pc); err == nil && pc.StatusCode != 0 && pc.Message != "" {
		e.Message = pc.Message
		if e.Wait == 0 {
			e.Wait = retryAfterInMessage(pc.Message)
		}
		return e
	}
	e.Message = bodySnippet(body)
	return e
}

// throttleBody is the body of Partner Center's 429 (API Management's
// rate-limit policy), which is not the documented error envelope.
type throttleBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// retryAfterInMessage reads "Try again in N seconds" from a throttling
// message, for an answer that lost its Retry-After header on the way; 0
// when the message does not say.
func retryAfterInMessage(msg string) time.Duration {
	const marker = "try again in "
	i := strings.Index(strings.ToLower(msg), marker)
	if i < 0 {
		return 0
	}
	rest := msg[i+len(marker):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	secs, err := strconv.Atoi(rest[:n])
	if err != nil || secs <= 0 || secs > 24*3600 || !strings.HasPrefix(strings.TrimSpace(rest[n:]), "second") {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// bodySnippet is the start of a body as one line of valid UTF-8.
func bodySnippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxErrorMessage {
		s = s[:maxErrorMessage]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.Fields(s), " ")
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date. It returns 0 when the header is absent, malformed or in the
// past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(365 * 24 * 3600) // keeps the Duration from overflowing
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// The methods below make this package's errors answer the run's error
// vocabulary (refbatch.IsRetryable, IsConflict, IsFatal, IsNotFound,
// IsInDoubt, RetryAfter) by the same classification as Classify, so the
// engine never looks at HTTP: one vocabulary, the root package's.

// Retryable reports whether trying again later may succeed: a 5xx, 408,
// 429 or 503.
func (e *APIError) Retryable() bool { c := e.class(); return c == Retryable || c == RetryAfter }

// Conflict reports a 412: the eTag sent in If-Match is stale.
func (e *APIError) Conflict() bool { return e.StatusCode == http.StatusPreconditionFailed }

// Fatal reports a 401 or 403: no request can succeed until the user fixes
// the credentials or their role.
func (e *APIError) Fatal() bool { return e.class() == Fatal }

// NotFound reports a 404.
func (e *APIError) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// Retryable reports whether the failed exchange may succeed if tried again:
// any transport failure except an untrusted certificate or the caller's
// own cancellation.
func (e *TransportError) Retryable() bool { return Classify(e) == Retryable }

// Fatal reports an untrusted certificate: every request will fail the same
// way until the configuration is fixed.
func (e *TransportError) Fatal() bool { return Classify(e) == Fatal }

// Fatal reports that no token could be had (unless the TokenSource only
// gave up because the caller's context ended).
func (e *TokenError) Fatal() bool { return Classify(e) == Fatal }

// RetryAfter returns the server's Retry-After of a 429, 509 or 503, if it
// sent one: with Retryable, Conflict, Fatal, InDoubt and NotFound, the
// refbatch error vocabulary, which callers ask through refbatch.IsRetryable
// and friends. Classify is how this package answers them.
func (e *APIError) RetryAfter() (time.Duration, bool) {
	if e.Wait > 0 && Classify(e) == RetryAfter {
		return e.Wait, true
	}
	return 0, false
}
