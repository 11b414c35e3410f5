// Package partnercenter speaks the Microsoft Partner Center Referrals API:
// the wire types of the Referral resource and its error envelope (types.go),
// a Client (client.go) with Create, Get, Patch, List and the two
// deal-registration eligibility calls, the Mapper (mapping.go), the one
// place where a spreadsheet row becomes request bodies (create, co-sell
// link, minimal JSON Patch, deal registration), and Referrals
// (referrals.go), the Client as the engine's API: raw answers, the
// engine's client-request-id, errors that answer the refbatch error
// vocabulary (refbatch.IsRetryable, IsInDoubt, IsConflict, IsFatal,
// IsNotFound). The local stand-in for the API is the sandbox subpackage.
//
// # Errors
//
// Errors are classified here, at the HTTP edge, by behaviour, so callers
// ask one question, Classify(err) (errors.go):
//
//   - Retryable: 5xx, 408, 429 or 503 without Retry-After, network errors;
//   - RetryAfter: 429, or 503 with Retry-After (APIError.Wait);
//   - Conflict: 412, the eTag sent in If-Match is stale;
//   - Permanent: any other 4xx, an unusable 2xx answer, anything unknown;
//   - Fatal: 401, 403, a failing TokenSource, an untrusted certificate;
//   - Canceled: the caller's context ended; never retried.
//
// An *APIError carries the decoded {"error":{…}} envelope, the status, the
// client-request-id sent and the Request-ID answered. A *TransportError
// says whether the request was sent before the connection failed.
// IsInDoubt(err) answers the question a resumable run needs: may this
// failed write (create or patch) have been applied anyway? If so it must be
// reconciled (List, Get) before it is sent again.
//
// # Retries
//
// Each call runs through a pacer (pacer.go): before every attempt it waits
// on the optional Limiter (a shared token bucket); after a Retryable or
// RetryAfter failure it repeats the call, up to RetryPolicy.MaxAttempts,
// sleeping the server's Retry-After (capped) plus an exponential backoff
// with full jitter, and returning as soon as the context ends. It repeats
// only idempotent requests: GET, PATCH with If-Match, and the body-less
// eligibility POST, which only reads. It never repeats a create POST or a
// PATCH without If-Match, whatever the error: a POST whose answer was lost
// may have created a referral, and only the engine, after reconciling,
// may send it again. Redirects are never followed. Referrals, the engine's
// view of a Client, makes its step calls once: the engine owns their retry
// count and journals each attempt; only listings are retried by the pacer.
// A 429 or 509 with Retry-After closes a gate shared by every call of the
// Client (and its Referrals view) until it passes, and is passed to a
// Limiter that implements ThrottleObserver.
//
// # Requests
//
// Every call sends Authorization: Bearer (from a TokenSource, asked before
// each attempt), a client-request-id GUID that is fresh per call and the
// same on all of that call's retries (choose it beforehand with
// WithClientRequestID to journal it before the request leaves),
// MS-CorrelationId when set, Accept and Content-Type application/json, and
// a refbatch User-Agent. Answers are read up to a cap (16 MiB by default).
// The base URL must be https, or http to a loopback host; List follows
// @odata.nextLink only to the base URL's own host and port, always with the
// base URL's scheme (the documents' example link is http://…/v1.0/referrals:
// it is upgraded to https and read as the list endpoint), so the token never
// leaves for another host nor crosses a network in clear text. ListQuery.Top
// is a total, as the Swagger defines $top, never a page size; the engine
// sends none. Tokens are never logged nor put in errors.
//
// # Reading answers
//
// Nothing the service sends is lost: every object type of the resource keeps
// the members it does not model in its Extra map and writes them back
// (wire.go), so the Swagger's properties and any the service adds round-trip.
// Answers are read tolerantly, field by field (DecodeReferral): a bare or
// empty date, "" for an amount and customerProfile.ids as an object are read,
// and a member that fits no field is kept as sent in its object's Extra and
// logged, so one odd referral never fails a Get or a List page.
// json.Unmarshal into the types stays strict (the sandbox refuses bad
// bodies with it).
//
// A Client is safe for concurrent use by multiple goroutines; the observer
// callback (WithObserver) is called from all of them.
package partnercenter
