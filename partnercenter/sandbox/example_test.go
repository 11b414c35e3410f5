package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// A sandbox behind an httptest.Server, created and then patched over real
// HTTP, as the package's tests and refbatch's conformance suite use it.
func ExampleNew() {
	srv := sandbox.New(sandbox.Options{Token: "rehearsal"})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	send := func(method, path, body string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer rehearsal")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		return resp
	}

	resp := send(http.MethodPost, "/v1.0/engagements/referrals", `{
		"name": "Contoso upgrade", "type": "Independent",
		"customerProfile": {"name": "Contoso Ltd", "address": {"country": "US"}},
		"consent": {"consentToContact": true},
		"details": {"dealValue": 40000, "currency": "USD"}}`)
	var ref pc.Referral
	_ = json.NewDecoder(resp.Body).Decode(&ref)
	resp.Body.Close()
	fmt.Println(resp.Status, ref.Status, ref.Substatus)

	resp = send(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID,
		`[{"op":"replace","path":"/status","value":"Closed"},{"op":"replace","path":"/substatus","value":"Won"}]`,
		"If-Match", ref.ETag)
	resp.Body.Close()
	fmt.Println(resp.Status)

	stored := srv.Referrals()
	fmt.Println(len(stored), stored[0].Status, stored[0].Substatus)
	// Output:
	// 201 Created New Pending
	// 204 No Content
	// 1 Closed Won
}
