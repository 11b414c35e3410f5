package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// tokenServer serves a sandbox over real HTTP with a fake clock.
func tokenServer(t *testing.T, o sandbox.TokenOptions) (*httptest.Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	ts := httptest.NewServer(sandbox.New(sandbox.Options{TokenOptions: o, Now: clock.Now}))
	t.Cleanup(ts.Close)
	return ts, clock
}

// postForm posts a form and decodes the JSON answer.
func postForm(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("POST %s: %d, body not JSON: %v", u, resp.StatusCode, err)
	}
	return resp.StatusCode, m
}

func apiStatus(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1.0/engagements/referrals", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRefreshGrantRotatesAndExpires(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		name := "v1"
		if v2 {
			name = "v2"
		}
		t.Run(name, func(t *testing.T) {
			ts, clock := tokenServer(t, sandbox.TokenOptions{TokenLifetime: 5 * time.Second, RefreshTokens: []string{"seed-rt"}})
			tokenURL := ts.URL + "/contoso/oauth2/token"
			form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {"seed-rt"}}
			if v2 {
				tokenURL = ts.URL + "/contoso/oauth2/v2.0/token"
			}
			// Without resource or scope (what x/oauth2's refresh sends).
			code, m := postForm(t, tokenURL, form)
			if code != http.StatusBadRequest || (m["error"] != "invalid_resource" && m["error"] != "invalid_scope") {
				t.Fatalf("refresh without audience: %d %v", code, m)
			}
			if v2 {
				form.Set("scope", "https://api.partner.microsoft.com/.default offline_access")
			} else {
				form.Set("resource", "https://api.partner.microsoft.com")
			}
			code, m = postForm(t, tokenURL, form)
			if code != http.StatusOK {
				t.Fatalf("refresh: %d %v", code, m)
			}
			at, _ := m["access_token"].(string)
			rt, _ := m["refresh_token"].(string)
			if !strings.HasPrefix(at, sandbox.AccessTokenPrefix) || !strings.HasPrefix(rt, sandbox.RefreshTokenPrefix) || m["token_type"] != "Bearer" {
				t.Fatalf("answer %v", m)
			}
			if v2 {
				if m["expires_in"] != float64(5) {
					t.Errorf("v2 expires_in = %v, want the number 5", m["expires_in"])
				}
			} else if m["expires_in"] != "5" || m["resource"] != "https://api.partner.microsoft.com" {
				t.Errorf("v1 answer %v: want expires_in \"5\" and the resource", m)
			}
			// The used refresh token is gone; the rotated one works once.
			code, m = postForm(t, tokenURL, form)
			if code != http.StatusBadRequest || m["error"] != "invalid_grant" {
				t.Errorf("reused refresh token: %d %v", code, m)
			}
			if strings.Contains(m["error_description"].(string), "seed-rt") {
				t.Errorf("error description quotes the refresh token")
			}
			// Another client may not redeem it.
			other := url.Values{}
			for k, v := range form {
				other[k] = v
			}
			other.Set("refresh_token", rt)
			other.Set("client_id", "someone-else")
			if code, m = postForm(t, tokenURL, other); code != http.StatusBadRequest || m["error"] != "invalid_grant" {
				t.Errorf("refresh token of another client: %d %v", code, m)
			}

			if s := apiStatus(t, ts.URL, at); s != http.StatusOK {
				t.Errorf("fresh token: API answered %d", s)
			}
			if s := apiStatus(t, ts.URL, "not-issued"); s != http.StatusUnauthorized {
				t.Errorf("token not issued: API answered %d, want 401", s)
			}
			clock.Advance(5 * time.Second)
			if s := apiStatus(t, ts.URL, at); s != http.StatusUnauthorized {
				t.Errorf("expired token: API answered %d, want 401", s)
			}
			form.Set("refresh_token", rt)
			if code, m = postForm(t, tokenURL, form); code != http.StatusOK {
				t.Fatalf("refresh with the rotated token: %d %v", code, m)
			}
			if s := apiStatus(t, ts.URL, m["access_token"].(string)); s != http.StatusOK {
				t.Errorf("refreshed token: API answered %d", s)
			}
		})
	}
}

func TestDeviceCodeFlow(t *testing.T) {
	ts, clock := tokenServer(t, sandbox.TokenOptions{DeviceInterval: 2 * time.Second, DeviceCodeLifetime: time.Minute})
	code, dc := postForm(t, ts.URL+"/contoso/oauth2/devicecode", url.Values{"client_id": {"app"}, "resource": {"https://api.partner.microsoft.com"}})
	if code != http.StatusOK {
		t.Fatalf("devicecode: %d %v", code, dc)
	}
	// v1 shape: verification_url, numbers as strings.
	if dc["verification_url"] != ts.URL+sandbox.DeviceLoginPath || dc["interval"] != "2" || dc["expires_in"] != "60" {
		t.Fatalf("devicecode answer %v", dc)
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {"app"},
		"device_code": {dc["device_code"].(string)}, "resource": {"https://api.partner.microsoft.com"}}
	tokenURL := ts.URL + "/contoso/oauth2/token"
	want := func(errCode string) {
		t.Helper()
		code, m := postForm(t, tokenURL, poll)
		if code != http.StatusBadRequest || m["error"] != errCode {
			t.Fatalf("poll: %d %v, want %s", code, m, errCode)
		}
	}
	want("authorization_pending")
	clock.Advance(500 * time.Millisecond)
	want("slow_down") // and the interval grows by 5 s
	clock.Advance(3 * time.Second)
	want("slow_down")
	clock.Advance(12 * time.Second) // the interval is 12 s now
	want("authorization_pending")

	resp, err := http.PostForm(ts.URL+sandbox.AdminDeviceApprovePath, url.Values{"user_code": {dc["user_code"].(string)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	clock.Advance(12 * time.Second)
	code, m := postForm(t, tokenURL, poll)
	if code != http.StatusOK || m["refresh_token"] == nil || m["access_token"] == nil {
		t.Fatalf("poll after approval: %d %v", code, m)
	}
	want("invalid_grant") // redeemed once

	// A code nobody approves expires.
	_, dc = postForm(t, ts.URL+"/contoso/oauth2/v2.0/devicecode", url.Values{"client_id": {"app"}, "scope": {"https://api.partner.microsoft.com/.default offline_access"}})
	if dc["verification_uri"] == nil || dc["interval"] != float64(2) {
		t.Fatalf("v2 devicecode answer %v", dc)
	}
	poll.Set("device_code", dc["device_code"].(string))
	tokenURL = ts.URL + "/contoso/oauth2/v2.0/token"
	clock.Advance(2 * time.Minute)
	want("expired_token")
}

func TestDeviceCodeApprovesItself(t *testing.T) {
	ts, clock := tokenServer(t, sandbox.TokenOptions{DeviceApproveAfter: 3 * time.Second, DeviceInterval: time.Second})
	_, dc := postForm(t, ts.URL+"/t/oauth2/devicecode", url.Values{"client_id": {"app"}, "resource": {"https://api.partner.microsoft.com"}})
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {"app"}, "device_code": {dc["device_code"].(string)}}
	if code, m := postForm(t, ts.URL+"/t/oauth2/token", poll); m["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %v", code, m)
	}
	clock.Advance(3 * time.Second)
	if code, m := postForm(t, ts.URL+"/t/oauth2/token", poll); code != http.StatusOK {
		t.Fatalf("poll after DeviceApproveAfter: %d %v", code, m)
	}
}

func TestTokenEndpointsRefuseOtherShapes(t *testing.T) {
	ts, _ := tokenServer(t, sandbox.TokenOptions{})
	resp, err := http.Get(ts.URL + "/contoso/oauth2/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET token endpoint: %d", resp.StatusCode)
	}
	code, m := postForm(t, ts.URL+"/contoso/oauth2/token", url.Values{"client_id": {"app"}, "grant_type": {"password"}})
	if code != http.StatusBadRequest || m["error"] != "unsupported_grant_type" {
		t.Errorf("password grant: %d %v", code, m)
	}
	// Without TokenLifetime, any non-empty token still passes.
	if s := apiStatus(t, ts.URL, "anything"); s != http.StatusOK {
		t.Errorf("API without TokenLifetime: %d", s)
	}
}
