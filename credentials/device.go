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

// DeviceCode is what the person at the terminal needs: where to go and the
// code to type there.
type DeviceCode struct {
	VerificationURI string
	UserCode        string
	// Message is Azure AD's own instruction, naming both.
	Message   string
	ExpiresIn time.Duration
	Interval  time.Duration
}

// deviceCodeResponse reads v1 (verification_url, numbers as strings) and
// v2 (verification_uri) answers alike.
type deviceCodeResponse struct {
	DeviceCode      string  `json:"device_code"`
	UserCode        string  `json:"user_code"`
	VerificationURI string  `json:"verification_uri"`
	VerificationURL string  `json:"verification_url"`
	ExpiresIn       seconds `json:"expires_in"`
	Interval        seconds `json:"interval"`
	Message         string  `json:"message"`
}

// DeviceLoginOptions configure DeviceLogin.
type DeviceLoginOptions struct {
	// HTTPClient sends the requests; nil means HTTPClient().
	HTTPClient *http.Client
	// Prompt shows the person the code; DeviceLogin polls once it returns nil.
	Prompt func(DeviceCode) error
}

// DeviceLogin runs the device-code flow against a: it asks for a device code,
// hands it to o.Prompt, then polls the token endpoint (at the interval Azure
// AD asked for, slower after slow_down, until authorization_pending ends,
// expired_token, or ctx). It returns the tokens, the refresh token among
// them; the caller saves it in a Store.
func DeviceLogin(ctx context.Context, a Authority, o DeviceLoginOptions) (*oauth2.Token, error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	if err := CheckURL(a.TokenURL()); err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = HTTPClient()
	}
	form := url.Values{"client_id": {a.ClientID}}
	a.audience(form)
	var dr deviceCodeResponse
	if err := postForm(ctx, hc, a.DeviceCodeURL(), form, &dr); err != nil {
		return nil, fmt.Errorf("device code: %w", err)
	}
	if dr.DeviceCode == "" || dr.UserCode == "" {
		return nil, errors.New("device code: the answer has no device_code or user_code")
	}
	uri := dr.VerificationURI
	if uri == "" {
		uri = dr.VerificationURL
	}
	dc := DeviceCode{VerificationURI: uri, UserCode: dr.UserCode, Message: dr.Message,
		ExpiresIn: time.Duration(dr.ExpiresIn) * time.Second, Interval: time.Duration(dr.Interval) * time.Second}
	if o.Prompt != nil {
		if err := o.Prompt(dc); err != nil {
			return nil, err
		}
	}

	da := &oauth2.DeviceAuthResponse{DeviceCode: dr.DeviceCode, UserCode: dr.UserCode, VerificationURI: uri,
		Interval: int64(dr.Interval)}
	if dr.ExpiresIn > 0 {
		da.Expiry = time.Now().Add(dc.ExpiresIn)
	}
	cfg := oauth2.Config{
		ClientID: a.ClientID,
		Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL(), DeviceAuthURL: a.DeviceCodeURL(), AuthStyle: oauth2.AuthStyleInParams},
	}
	var opts []oauth2.AuthCodeOption
	if a.Version == V2 {
		cfg.Scopes = []string{Resource + "/.default", "offline_access"}
	} else {
		opts = append(opts, oauth2.SetAuthURLParam("resource", Resource))
	}
	tok, err := cfg.DeviceAccessToken(context.WithValue(ctx, oauth2.HTTPClient, hc), da, opts...)
	if err != nil {
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
			// Its Error() quotes the whole answer; keep code and description.
			code := 0
			if re.Response != nil {
				code = re.Response.StatusCode
			}
			err = &OAuthError{StatusCode: code, Code: re.ErrorCode, Description: scrub(re.ErrorDescription, dr.DeviceCode)}
		} else if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = &OAuthError{Code: "expired_token", Description: "the code expired before it was used"}
		}
		return nil, fmt.Errorf("device login: %w", err)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("device login: Azure AD gave no refresh token (v2 needs the offline_access scope; is the app a public client?)")
	}
	return tok, nil
}
