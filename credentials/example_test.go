package credentials_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// A Refresher turns a refresh token into access tokens for Partner Center,
// here against the sandbox's stand-in for Azure AD (its token endpoint is
// the authority). The access token is cached until shortly before it
// expires; the rotated refresh token would be saved in RefreshOptions.Store.
func ExampleNewRefresher() {
	srv := sandbox.New(sandbox.Options{TokenOptions: sandbox.TokenOptions{RefreshTokens: []string{"seed-refresh-token"}}})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	a := credentials.Authority{URL: ts.URL, Tenant: "contoso.onmicrosoft.com", ClientID: "00000000-0000-0000-0000-000000000001", Version: credentials.V1}
	r, err := credentials.NewRefresher(a, "seed-refresh-token", credentials.RefreshOptions{})
	if err != nil {
		panic(err)
	}
	first, err := r.Token(context.Background())
	if err != nil {
		panic(err)
	}
	again, _ := r.Token(context.Background())
	fmt.Println(strings.HasPrefix(first, sandbox.AccessTokenPrefix), first == again)
	// Output: true true
}

// A static token (REFBATCH_TOKEN, or a token file) is taken as given,
// trimmed; an empty one is refused.
func ExampleNewStatic() {
	s, _ := credentials.NewStatic("  eyJ0eXAi.example  ")
	tok, _ := s.Token(context.Background())
	_, err := credentials.NewStatic("   ")
	fmt.Printf("%q %v\n", tok, err)
	// Output: "eyJ0eXAi.example" empty token
}
