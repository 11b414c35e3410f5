package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// MaxRefreshAhead is how long before expiry a token is refreshed, at most;
// a token living less than twice as long is refreshed at half its life.
const MaxRefreshAhead = 5 * time.Minute

// refreshAttempts bounds the tries of one refresh when the token endpoint
// does not answer or answers 5xx/429.
const refreshAttempts = 3

// RefreshOptions configure a Refresher.
type RefreshOptions struct {
	// HTTPClient sends the token requests; nil means HTTPClient().
	HTTPClient *http.Client
	// Store, when set, receives every rotated refresh token (with the
	// Authority), so the next run starts from the newest one.
	Store *Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RetryDelay is the first wait before retrying a refresh that failed
	// in passing (it doubles); 0 means one second.
	RetryDelay time.Duration
}

// Refresher gets access tokens with the OAuth2 refresh-token grant and
// refreshes them ahead of expiry. Safe for concurrent use.
type Refresher struct {
	auth       Authority
	hc         *http.Client
	store      *Store
	now        func() time.Time
	retryDelay time.Duration

	sem       chan struct{} // held while reading or refreshing the fields below
	refresh   Secret
	tok       *oauth2.Token // nil: none yet, or the last one was refused
	refreshAt time.Time
}

// NewRefresher returns a Refresher for authority a, starting from
// refreshToken. Nothing is sent until the first Token call.
func NewRefresher(a Authority, refreshToken string, o RefreshOptions) (*Refresher, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, errors.New("no refresh token")
	}
	r := &Refresher{auth: a, hc: o.HTTPClient, store: o.Store, now: o.Now, retryDelay: o.RetryDelay,
		sem: make(chan struct{}, 1), refresh: Secret(refreshToken)}
	if r.hc == nil {
		r.hc = HTTPClient()
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.retryDelay <= 0 {
		r.retryDelay = time.Second
	}
	return r, nil
}

// Authority returns the authority tokens come from.
func (r *Refresher) Authority() Authority { return r.auth }

// Token returns an access token that is not about to expire, refreshing it
// first when needed. Callers arriving during a refresh wait for it and share
// its result. A refresh that fails in passing while the current token is
// still valid returns the current token.
func (r *Refresher) Token(ctx context.Context) (string, error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-r.sem }()
	now := r.now()
	if r.tok != nil && now.Before(r.refreshAt) {
		return r.tok.AccessToken, nil
	}
	err := r.refreshLocked(ctx)
	if err == nil {
		return r.tok.AccessToken, nil
	}
	if r.tok != nil && isTransient(err) && r.now().Before(r.tok.Expiry) {
		return r.tok.AccessToken, nil
	}
	return "", err
}

// Invalidate reports that the service refused token (401). If it is the
// current token, the next Token call refreshes; a token already replaced
// is ignored, so workers refused together cause one refresh.
func (r *Refresher) Invalidate(token string) {
	r.sem <- struct{}{}
	defer func() { <-r.sem }()
	if r.tok != nil && r.tok.AccessToken == token {
		r.tok = nil
	}
}

// refreshLocked runs the refresh-token grant, retrying passing failures.
// Callers hold r.sem.
func (r *Refresher) refreshLocked(ctx context.Context) error {
	delay := r.retryDelay
	var err error
	for attempt := 1; attempt <= refreshAttempts; attempt++ {
		if err = r.refreshOnce(ctx); err == nil || !isTransient(err) || attempt == refreshAttempts {
			break
		}
		if serr := sleepCtx(ctx, delay); serr != nil {
			return fmt.Errorf("refresh access token: %w", serr)
		}
		delay *= 2
	}
	if err != nil {
		return fmt.Errorf("refresh access token (tenant %s): %w", r.auth.Tenant, err)
	}
	return nil
}

func (r *Refresher) refreshOnce(ctx context.Context) error {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {r.auth.ClientID},
		"refresh_token": {r.refresh.Reveal()},
	}
	r.auth.audience(form)
	sent := r.now()
	var tr tokenResponse
	if err := postForm(ctx, r.hc, r.auth.TokenURL(), form, &tr, r.refresh.Reveal()); err != nil {
		return err
	}
	if tr.AccessToken == "" {
		return errors.New("token endpoint answered without an access_token")
	}
	tok, refreshAt := issued(tr, sent)
	if tr.RefreshToken != "" && tr.RefreshToken != r.refresh.Reveal() {
		if r.store != nil {
			l := Login{Authority: r.auth.URL, Tenant: r.auth.Tenant, ClientID: r.auth.ClientID, Version: r.auth.Version,
				RefreshToken: Secret(tr.RefreshToken), Saved: r.now().UTC()}
			if err := r.store.Save(l); err != nil {
				// The old refresh token may be revoked already: without
				// the new one on disk the next run could not sign in.
				return fmt.Errorf("keep the rotated refresh token: %w", err)
			}
		}
		r.refresh = Secret(tr.RefreshToken)
	}
	r.tok, r.refreshAt = tok, refreshAt
	return nil
}

// issued turns a token answer into an oauth2.Token and the time to refresh
// it: MaxRefreshAhead before expiry, or half-way for short-lived tokens.
// Times count from when the request was sent, so a slow answer errs early.
func issued(tr tokenResponse, sent time.Time) (*oauth2.Token, time.Time) {
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour // Azure AD always says; assume its default
	}
	ahead := min(MaxRefreshAhead, life/2)
	tt := tr.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	return &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tt, Expiry: sent.Add(life), ExpiresIn: int64(tr.ExpiresIn)},
		sent.Add(life - ahead)
}
