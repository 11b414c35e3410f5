// Package partnercenter speaks the Microsoft Partner Center Referrals API:
// the wire types of the Referral resource and its error envelope (types.go),
// and a Client with Create, Get, Patch, List and the two deal-registration
// eligibility calls.
//
// Errors are classified here, at the HTTP edge, by behaviour (retryable,
// retry-after, conflict, permanent, fatal) so callers ask one question. The
// client retries only idempotent requests (GET, and PATCH with If-Match); it
// never retries a POST by itself, because a POST whose answer was lost may
// have created a referral: the engine decides after reconciliation.
//
// A Client is safe for concurrent use by multiple goroutines.
package partnercenter
