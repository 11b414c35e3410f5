// Package sandbox is a local stand-in for the Microsoft Partner Center
// Referrals API, faithful to the documents in reference/ (the authority where
// this package and they differ), in memory (New) or kept in a state file
// across restarts (Open). Every refbatch test and `refbatch run --sandbox`
// use it; nobody here can reach the real service.
//
// # What it models
//
//	POST  /v1.0/engagements/referrals                                  create (or co-sell link)
//	GET   /v1.0/engagements/referrals                                  list: $filter, $select, $orderby, $top, $skip, $count, $skiptoken
//	GET   /v1.0/engagements/referrals/{id}                             get (also GET /v1/referrals/{id}, the legacy path)
//	PATCH /v1.0/engagements/referrals/{id}                             JSON Patch: replace and add only
//	POST  /v1.0/engagements/referrals/{id}/dealregistrations/eligibility   the five eligibility policies
//	GET   /v1.0/engagements/partners/dealregistrationeligibility          partner eligibility
//	GET   /_sandbox/referrals                                          admin dump (see below)
//
// Paths match case-insensitively. Every request example of the documents is
// accepted verbatim and every answer is shaped like their response examples
// (the package tests hold copies of both in testdata/). Where the documents
// are silent, Microsoft's Swagger for the Referrals connector
// (PowerPlatformConnectors, certified-connectors/PartnerCenterReferrals)
// and the Partner REST documents (MicrosoftDocs/partner-rest,
// partner-rest/develop/: get-a-list-of-referrals.md, referral-resources.md,
// error-codes.md, headers.md) decide. Its vocabularies (statuses, the
// Swagger's enums, ISO 4217 currencies, ISO 3166 countries) are its own
// tables (vocab.go), not the client's or the rules': it is an independent
// oracle.
//
// # Documented choices
//
// Auth: every API request needs "Authorization: Bearer <token>"; with
// Options.Token "" any non-empty token passes. Otherwise 401 with the error
// body and "WWW-Authenticate: Bearer". The admin dump GET /_sandbox/referrals
// is outside auth and outside faults, so tests can always read the truth; it
// returns every stored referral, in creation order, as a JSON array. The
// command refuses non-loopback addresses unless told otherwise.
//
// Errors always use the documented body {"error":{"code","message","target",
// "innerError"}} with Content-Type application/json. code is one of
// error-codes.md's, by status: 400, 405, 409, 413, 414 and 431
// invalidRequest, 401 unauthenticated, 403 accessDenied, 404 itemNotFound,
// 412 preconditionFailed, 429 and 503 serviceNotAvailable, other 5xx
// generalException. innerError.code is the sandbox's own, more specific one:
// invalidJson, invalidValue, requiredFieldMissing, invalidStatusTransition,
// invalidPatchOperation, pathNotPatchable, dealRegistrationNotEligible,
// dealRegistrationFormRule, dealAlreadyRegistered, tooManyItems,
// engagementNotFound, invalidQuery, requestEntityTooLarge,
// requestUriTooLong, requestHeaderFieldsTooLarge, methodNotAllowed,
// tooManyRequests. message is at most 1024 characters (error-codes.md).
// Clients branch on the status. target names the offending field in body
// form for creates ("details.dealValue", "customerProfile.team[1].email",
// "customerProfile", "engagementId"), as a JSON Pointer for patches
// ("/details/dealValue", "/status", "/registrations/-"), "[i].op" or
// "[i].path" for a bad operation i, the option ("$filter", "$orderby",
// "$top", "$skip", "$count", "$select", "$skiptoken") for queries, "body" for
// malformed JSON and oversized bodies, "If-Match" for 412, "id" for an
// unknown referral, the path for any other 404, the method for a 405, "uri"
// for a 414 and "headers" for a 431. A body larger than Options.MaxBodyBytes
// (default 1 MiB) is a 413; a request URI over MaxURIBytes (32 KiB) a 414 and
// headers over MaxHeaderBytes (64 KiB) a 431, both with the JSON body when
// the server lets such a request reach the handler (NewHTTPServer does;
// net/http's default 1 MiB MaxHeaderBytes answers plain text before it). A
// panic is recovered and answered 500 with the error body; none is known.
// Every answer carries a Request-ID and echoes the request's
// client-request-id (headers.md).
//
// Bodies: keys match field names case-insensitively (the documents send
// "ConsentToToShareInfoWithOthers"); every member is kept, modelled or not
// (the documents send "activities", the Swagger names 42 properties, and the
// real API keeps what it is sent): unknown members are stored, answered and
// written to the state file as sent (partnercenter's Extra). Numbers sent as
// strings are read where the resource has amounts ("" is no amount), dates
// may be bare ("2026-03-31", midnight UTC) or "" (no date), customerProfile.ids
// may be an array or an object (referral-resources.md's CustomerProfileType),
// and enum values are read case-insensitively and stored in the documented
// case. A wrong type, NaN or an unknown enum value (status, substatus, type,
// qualification, salesStage, inviteContext.assistanceRequestCode) is a 400
// naming the field, and so is a currency that is not ISO 4217 (details,
// requirements' solutions, registrations' contract and solutions) or a
// country that is not ISO 3166 alpha-2. Arrays are capped: team and
// customerProfile.team at MaxTeamMembers (100), registrations at
// MaxRegistrations (10), every other array at MaxListItems (100); a longer
// one is a 400 tooManyItems, so a client appending in a loop cannot grow a
// referral without bound.
//
// Create answers 201 Created (with Location and ETag headers) and the
// populated referral; the client accepts 200 too. Required: type,
// customerProfile, consent and details (marked Required in
// create-referral.txt), and also name and customerProfile.name: a referral
// without either cannot be shown or matched in Partner Center, every
// document example sends both, and refbatch's own rules require them. Status
// defaults to New, substatus to the status's first (New: Pending, Active:
// Accepted; Closed has none and needs one); the pair must be in the
// documented table. If any of partnerRole, solutionArea, solutionPlay is set,
// all three are required (Services co-sell); their values are not checked,
// since they change every fiscal year. A create's registrations are ignored
// (readOnly in the Swagger: a deal is registered by PATCH). Status and
// substatus "None" (documented in referral-resources.md) are read as absent,
// so the defaults apply; qualification "None" is stored.
// The server sets id, engagementId, organizationId/organizationName,
// createdDateTime, updatedDateTime, direction ("Outgoing": the caller created
// it), eTag and links, whatever the body says.
// organizationId "msft" in the body makes a Microsoft referral (organizationId
// "msft", organizationName "Microsoft"); any other value gets the caller's
// partner organisation (Options.OrganizationID, fixed per sandbox).
//
// Co-sell link: a body with the engagementId of an existing referral joins
// that engagement; an unknown engagementId is a 400 EngagementNotFound with
// target engagementId (it is a field of the body, not the resource addressed).
// A Microsoft referral created by a link starts New/Pending whatever the body
// says and turns Active/Accepted when Options.AcceptAfter has passed on the
// injected clock, unless a patch moved it first. Acceptance is computed lazily
// whenever the state is read, so no goroutine runs. The sandbox does not
// refuse a second Microsoft referral in one engagement or a second referral
// with the same externalReferenceId: exactly-once is the caller's duty, and
// tests must be able to see a duplicate.
//
// Get answers 200 with the referral, @odata.context, eTag and an ETag header;
// an unknown id is a 404 with the error body. eTags are quoted and shaped like
// the documents' ("\"0000002a-0000-0000-0000-…\""); every successful write,
// including an automatic acceptance, gives a new one.
//
// Patch takes a JSON Patch array of "replace" and "add" operations on any
// referral, Microsoft's included (so a rehearsal can accept or decline a
// Microsoft referral by hand, as a Microsoft seller would); remove,
// move, copy and test are a 400 with target "[i].op". A path must name a
// field of the resource (segments match case-insensitively) and one of these
// ("*" is one segment, "**" any deeper path):
//
//	/name /status /substatus /statusReason /qualification /externalReferenceId
//	/campaignId /referralProgram /salesStage
//	/details/dealValue /details/notes /details/currency /details/closingDateTime
//	/details/requirements /details/requirements/**
//	/customerProfile /customerProfile/** /consent /consent/*
//	/team /team/- /registrations/- /partnerRole /solutionArea /solutionPlay
//	/registrations/*/contract /registrations/*/contract/*
//	/registrations/*/solutionDetails/*/{value,currency,isDeployedOnAzure,
//	  primaryDeploymentOn,pricingModel,marketplaceTransactionDetails,
//	  marketplaceTransactionDetails/*}
//
// which holds every path of the Swagger's UpdateReferralDetails (30) and
// DealRegistration (/registrations/-) enums.
//
// Anything else (id, engagementId, organizationId, type, dates, eTag, links,
// target, inviteContext, …) is a 400 PathNotPatchable naming the path. As on
// the service's typed model, every modelled property exists: replace of an
// absent property sets it, and missing objects on the way are created; array
// indices must exist (add may insert at the length; "-" appends and is for
// add only). The operations are applied to a copy and the whole result is
// validated (the create rules, the status/substatus pair, and the documented
// transition from the stored status: New → New, Active, Closed; Active →
// Active, Closed; Closed → Closed); a failure leaves the referral untouched.
// If-Match is optional: without it the patch applies; with it ("*", strong,
// weak or unquoted forms) a mismatch is a 412 with the error body. With
// "Prefer: return=representation" the answer is 200 with the updated referral,
// else 204 No Content; both carry the new ETag. add /registrations/- needs a
// value of type AzureIPCoSell, an eligible partner and a referral that passes
// the five eligibility policies (evaluated on the patched result), else 400
// dealRegistrationNotEligible naming the failed policies; the server assigns
// the registration an id and its registrationDateTime. A referral has one
// registration (the Swagger's paths only ever name /registrations/0): a
// second add is a 409. Every registration a patch adds or changes must also
// pass the registration form of Microsoft's register-deals page
// (dealreg.go; 400 dealRegistrationFormRule, the message starting with the
// rule's name, target the field): annualContractValue (contract value in
// USD, by the FX table, per year greater than 25,000: a perpetual contract's
// value over 6 years, a contract longer than a year over its years),
// solutionValueNotAboveContractValue, signDateWithin60Days (the sign date at
// most 60 days before and not after the day of registration),
// startDateWithin90Days, endDateOnOrAfterStartDate (required unless the term
// is "Perpetual"), and requiredField (contract, value, sign and start date).
// An edit of a registration is held to the day it was registered.
//
// List reads the OData subset of odata.go: $filter with eq, ne, gt, ge, lt,
// le, and, or, not, parentheses, string, number, boolean, null and date
// literals (2026-03-31T00:00:00Z, 2026-03-31, datetime'…'), nested paths
// (customerProfile/address/country) and any/all over arrays
// (team/any(t:t/email eq '…')), on any modelled property; string comparisons
// ignore case, and an enum's operand must be one of its values. $select
// takes property paths (nested ones answer the enclosing objects with only
// the selected members). $orderby is createdDateTime or updatedDateTime, asc
// (default) or desc; creation order breaks ties. $top is the total to
// retrieve, as the Swagger defines it, $skip skips that many (first page
// only), $count=true adds @odata.count (all the matches, before $skip and
// $top). Pages hold Options.PageSize referrals (default DefaultPageSize,
// 100, the documents' page; at most MaxPageSize); when more remain,
// @odata.nextLink is an absolute URL on the request's own host carrying the
// same options, the $top still wanted and a $skiptoken, an opaque keyset
// cursor, so pages do not shift when referrals are created meanwhile. Every
// page has @odata.context ({host}/v1.0/$metadata#Referrals, as the documents'
// example). Anything else, other $ options included ($expand: the resource
// has no navigation properties), is a 400 naming the offending token.
//
// Eligibility evaluates the five documented policies, in the response
// example's shape (passedPolicies/failedPolicies with referralProperties):
//
//   - isDealTypeCosellOrPartnerLed: type Shared and
//     consent.consentToShareReferralWithMicrosoftSellers true.
//   - isMicrosoftReferralAcceptedOrWon: a Microsoft referral of the same
//     engagement is Active/Accepted or Closed/Won.
//   - isSolutionIncentiveEligible: some details.requirements.solutions id is
//     in the Azure IP co-sell catalog (DefaultAzureIPCoSellSolutions:
//     DEAL-123456-XYZ, SOL-34104-EBB and every SOL-AZIP-… id;
//     Options.AzureIPCoSellSolutions replaces it).
//   - isDealValueEligible: details.dealValue in USD strictly greater than
//     25,000, converted with DefaultFXToUSD (or Options.FXToUSD); an unknown
//     currency fails.
//
// The `refbatch sandbox` command fills both options from the rules' reference
// tables (the built-in ones, or --tables DIR), so the sandbox and refbatch's
// own dealreg pre-check agree on which solutions and values are eligible.
//   - isCustomerManaged: customerProfile.isMatchingComplete is true. The
//     documents say "the customer is Microsoft Managed" and the example's
//     referralProperties of this policy is {"isMatchingComplete": "true"},
//     so that is the property the sandbox reads.
//
// Partner eligibility answers {"isEligible":true,"policies":[{"isEligible":true}]},
// or false with Options.PartnerIneligible.
//
// # Azure AD stand-in
//
// For credential tests the sandbox also answers like a tenant's Azure AD
// (TokenOptions, embedded in Options), outside the API's faults and auth:
//
//	POST /{tenant}/oauth2/token, /{tenant}/oauth2/v2.0/token            grant_type refresh_token or urn:ietf:params:oauth:grant-type:device_code
//	POST /{tenant}/oauth2/devicecode, /{tenant}/oauth2/v2.0/devicecode  a device code and user code
//	GET  /_sandbox/devicelogin                                          the verification URI: a form that approves a code
//	POST /_sandbox/devicecode/approve                                   approve user_code=CODE, or every pending code
//
// Requests are forms; v1 requests must carry resource
// https://api.partner.microsoft.com and v2 ones a scope of its /.default
// (invalid_resource, invalid_scope otherwise: golang.org/x/oauth2's own
// refresh sends neither). Answers have Azure AD's shape: access_token,
// token_type Bearer, expires_in (a string on v1, as Azure AD's v1 sends it),
// a new refresh_token, and errors as 400 {"error","error_description",
// "error_codes"} with invalid_grant, authorization_pending, slow_down
// (polling faster than three quarters of the interval; the interval then
// grows by 5 s, RFC 8628), expired_token and unsupported_grant_type. Issued
// access tokens start with AccessTokenPrefix and refresh tokens with
// RefreshTokenPrefix, so tests can search output for them. A refresh token
// works once: redeeming it revokes it (stricter than Azure AD, which lets an
// old one live on, so a client that loses the rotated token is caught);
// TokenOptions.RefreshTokens seeds tokens any client may redeem. A device
// code is approved through the admin path or, with DeviceApproveAfter, by
// itself; it can be redeemed once.
//
// With TokenLifetime > 0 the API accepts only access tokens the sandbox
// issued that have not expired on the injected clock (and Options.Token
// when set); any other token is a 401. With TokenLifetime 0 issued tokens
// never expire and the Options.Token rule above holds. Tokens and device
// codes live in memory only, not in the state file.
//
// # Faults
//
// Faults (in Options, or switched at run time with SetFaults) are drawn from
// one math/rand/v2 source seeded with Faults.Seed, under a mutex: every API
// request draws the same four values (jitter, failure, failure kind, drop)
// whatever happens to it, so the same seed and the same order of requests
// give the same decisions. In order: latency ± jitter (a sleep that ends
// when the client goes away); the rate limit, a token bucket holding one
// second's worth of requests on the injected clock (429 with Retry-After in
// whole seconds, at least 1), with MinuteLimit, Penalty and
// PartnerCenter429 shaping it further (throttle.go); FailRate, answered 503 with "Retry-After: 1" or
// 500, before auth and before any change; then auth and the API. DropRate
// applies to writes that commit (create and patch; the eligibility POST
// changes nothing): the change is stored, then the connection is hijacked
// and closed with no response, the case that leaves a caller in doubt
// (HTTP/2, which cannot be hijacked, gets its stream aborted).
// ConflictRate applies to PATCH requests that carry If-Match and name an
// existing referral: a second writer commits first (a new eTag and
// updatedDateTime, no field refbatch patches changes, as an edit in the
// Partner Center UI would), so the If-Match no longer matches and the answer
// is the ordinary 412 preconditionFailed ("*" still matches and the patch
// applies). Its draw comes from a second stream seeded with the same Seed,
// one value per request, so that switching it on leaves the latency, fail
// and drop decisions of a seed unchanged.
//
// # State file
//
// Open with Options.StateFile keeps the sandbox's state in that file, so a
// rehearsal survives a restart of the sandbox: every referral as stored
// (ids, eTags, dates, every field it was sent), its creation sequence (list
// order and skip tokens), the eTag counter, and pending automatic
// acceptances. A missing file is an empty sandbox; a file that is not a
// state file, or has a line that does not parse, is an error and is left
// untouched. The file is JSON Lines: a header line
// {"format":"refbatch-sandbox-state","version":1,…}, then one line per
// committed write holding the whole referral after it; a later line for an
// id replaces an earlier one, and a last line without its newline (a write
// cut short, whose answer never left) is ignored. Open rewrites the file
// compactly (a temporary file in the same directory, fsync, rename, mode
// 0600), and so does a write after which superseded lines outnumber the live
// ones by more than 1024.
//
// Every committed write (create, patch, an automatic acceptance, the second
// writer of ConflictRate) appends its line and fsyncs it under the store's
// lock before the change is applied in memory and before any answer, a
// dropped one included: a client killed after a dropped write finds the
// change in a restarted sandbox. A write that cannot be saved is answered
// 500 and changes nothing (an acceptance that cannot be saved waits for the
// next read). Appending is what keeps this cheap: on the machine the
// benchmark ran on, rewriting the whole file took about 15 ms for 1,000
// referrals (2 MB) and 0.6 s for 50,000 (100 MB), an append with its fsync
// 0.2 to 0.6 ms whatever the size (BenchmarkStateSave). Close releases the
// file; one file serves one sandbox at a time (nothing locks it).
//
// # Concurrency
//
// A Server is safe for concurrent use. One mutex guards the store and its
// state file, a second one the fault source; sleeps happen outside both. Stored referrals
// are replaced, never mutated below their top-level fields, so answers are
// encoded outside the lock. Referrals returns deep copies.
package sandbox
