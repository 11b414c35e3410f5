package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OAuthError is an error answer of an Azure AD endpoint: its error code
// (invalid_grant, expired_token…) and description, secrets scrubbed. It
// never holds the response body.
type OAuthError struct {
	StatusCode  int
	Code        string
	Description string
}

func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("azure ad answered %d", e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		// Azure AD's descriptions run over several lines (trace ids,
		// timestamps); the first one says what is wrong.
		d, _, _ := strings.Cut(e.Description, "\n")
		msg += ": " + strings.TrimSpace(d)
	}
	return msg
}

// ErrLoginNeeded is wrapped by errors that only a new `refbatch login` can
// cure: the refresh token was refused, or the device code expired.
var ErrLoginNeeded = errors.New("sign in again with refbatch login")

// Unwrap makes invalid_grant, interaction_required and expired_token
// answers match ErrLoginNeeded.
func (e *OAuthError) Unwrap() error {
	switch e.Code {
	case "invalid_grant", "interaction_required", "expired_token", "access_denied", "invalid_client", "unauthorized_client":
		return ErrLoginNeeded
	}
	return nil
}

// tokenResponse is an Azure AD token answer, v1 (numbers as strings) or v2.
type tokenResponse struct {
	AccessToken      string  `json:"access_token"`
	TokenType        string  `json:"token_type"`
	ExpiresIn        seconds `json:"expires_in"`
	RefreshToken     string  `json:"refresh_token"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
}

// seconds reads a JSON number or a string holding one (v1 sends strings).
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	if str == "" || str == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return errors.New("expires_in is not a number")
	}
	*s = seconds(n)
	return nil
}

// postForm sends a token-endpoint request and reads its JSON answer into
// out (on 2xx) or an *OAuthError. Neither the body nor the form reaches an
// error; secrets are scrubbed from error descriptions.
func postForm(ctx context.Context, hc *http.Client, endpoint string, form url.Values, out any, secrets ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("token endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return &transientError{fmt.Errorf("token endpoint %s: %w", endpoint, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &transientError{fmt.Errorf("token endpoint %s: reading the answer: %w", endpoint, err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("token endpoint %s: the answer is not the JSON expected", endpoint)
		}
		return nil
	}
	var e tokenResponse
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/json" || json.Valid(body) {
		_ = json.Unmarshal(body, &e)
	}
	oe := &OAuthError{StatusCode: resp.StatusCode, Code: e.Error, Description: scrub(e.ErrorDescription, secrets...)}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return &transientError{oe}
	}
	return oe
}

// transientError is a failure worth another try: no answer, or 5xx/429.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func isTransient(err error) bool {
	_, ok := errors.AsType[*transientError](err)
	return ok
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
