// Package credentials supplies the OAuth2 access tokens refbatch sends to
// Partner Center, and keeps the secrets behind them out of sight.
//
// It owns four ways to a token:
//
//   - Static: a token given whole, from REFBATCH_TOKEN or a token file
//     (ReadTokenFile: read once, trimmed, refused when group or others may
//     read it). It is never refreshed.
//   - Refresher: the OAuth2 refresh-token grant against a tenant's Azure AD
//     token endpoint, v1 (…/oauth2/token with resource
//     https://api.partner.microsoft.com) or v2 (…/oauth2/v2.0/token with
//     scope "https://api.partner.microsoft.com/.default offline_access").
//     It sends the refresh request itself, because golang.org/x/oauth2's own
//     refresh sends neither resource nor scope, which Azure AD needs. The
//     refresh token it gets back replaces the old one, in memory and, with a
//     Store, on disk (temporary file and rename, mode 0600).
//   - DeviceLogin: the device-code flow for a person at a terminal (the
//     verification URL and user code are handed to a callback; polling,
//     authorization_pending, slow_down and expired_token are x/oauth2's
//     DeviceAccessToken). The caller saves the refresh token in a Store.
//   - Store: the user-only file holding a login (tenant, client id,
//     authority, refresh token), by default token.json in
//     os.UserConfigDir()/refbatch (directory 0700, file 0600).
//
// Static and Refresher both have the method Token(ctx) (string, error), so
// they satisfy partnercenter.TokenSource without this package importing it.
// Refresher also has Invalidate(token): the client calls it after a 401, and
// the next Token call refreshes instead of returning the refused token.
//
// # Hygiene
//
// Tokens are held as Secret, whose every formatting (fmt verbs, slog,
// encoding/json, encoding.TextMarshaler) prints "[redacted]"; only Reveal
// gives the value. Errors never quote a token or a response body: an Azure AD
// error is reduced to its error code and error_description, with any secret
// this package knows scrubbed from it. Every URL, token endpoints included,
// must be https, or http to a loopback host (the sandbox).
//
// # Concurrency
//
// A Refresher is safe for concurrent use: one refresh is in flight at a
// time and every caller waiting meanwhile gets its result, so workers share
// one refresh (and one rotation of the refresh token). A token is refreshed
// ahead of its expiry, by five minutes or by half its lifetime when that is
// shorter. Static and Store values are safe for concurrent use; two
// processes saving one Store race, and the last rename wins.
package credentials
