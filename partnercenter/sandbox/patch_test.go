package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	pc "github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
)

// Every pair of (status, substatus) → (status, substatus) of the documented
// table: legal transitions apply, illegal ones are a 400 naming /status.
func TestStatusTransitions(t *testing.T) {
	c := start(t, sandbox.Options{})
	table := map[pc.ReferralStatus][]pc.ReferralSubstatus{
		pc.StatusNew:    {pc.SubstatusPending, pc.SubstatusReceived},
		pc.StatusActive: {pc.SubstatusAccepted},
		pc.StatusClosed: {pc.SubstatusWon, pc.SubstatusLost, pc.SubstatusDeclined, pc.SubstatusExpired},
	}
	allowed := map[pc.ReferralStatus][]pc.ReferralStatus{
		pc.StatusNew:    {pc.StatusNew, pc.StatusActive, pc.StatusClosed},
		pc.StatusActive: {pc.StatusActive, pc.StatusClosed},
		pc.StatusClosed: {pc.StatusClosed},
	}
	for _, from := range pc.ReferralStatuses() {
		for _, fromSub := range table[from] {
			for _, to := range pc.ReferralStatuses() {
				for _, toSub := range pc.ReferralSubstatuses() {
					name := fmt.Sprintf("%s-%s to %s-%s", from, fromSub, to, toSub)
					t.Run(name, func(t *testing.T) {
						ref := c.create(minimal(map[string]any{"status": from, "substatus": fromSub}))
						ops := []pc.PatchOp{{Op: "replace", Path: "/status", Value: to}, {Op: "replace", Path: "/substatus", Value: toSub}}
						r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, ops)
						pairOK, transitionOK := contains(table[to], toSub), contains(allowed[from], to)
						switch {
						case from == pc.StatusClosed:
							// Won, Lost, Declined and Expired are terminal
							// (bulk-operations.md): every change is refused.
							wantError(t, r, http.StatusBadRequest, "/status")
						case pairOK && transitionOK:
							if r.StatusCode != http.StatusNoContent {
								t.Fatalf("legal: %d %s", r.StatusCode, r.body)
							}
							if got := c.get(ref.ID); got.Status != to || got.Substatus != toSub {
								t.Errorf("stored %s/%s", got.Status, got.Substatus)
							}
						case !pairOK:
							wantError(t, r, http.StatusBadRequest, "/substatus")
						default:
							wantError(t, r, http.StatusBadRequest, "/status")
						}
						if r.StatusCode != http.StatusNoContent {
							if got := c.get(ref.ID); got.ETag != ref.ETag || got.Status != from || got.Substatus != fromSub {
								t.Errorf("rejected patch changed the referral")
							}
						}
					})
				}
			}
		}
	}
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestPatchOperations(t *testing.T) {
	c := start(t, sandbox.Options{})
	for _, tc := range []struct {
		name   string
		ops    string
		target string // "" = applies
		check  func(t *testing.T, r pc.Referral)
	}{
		{"replace", `[{"op":"replace","path":"/name","value":"Renamed"}]`, "", func(t *testing.T, r pc.Referral) {
			if r.Name != "Renamed" {
				t.Errorf("name %q", r.Name)
			}
		}},
		{"replace an absent property", `[{"op":"replace","path":"/statusReason","value":"why"}]`, "", func(t *testing.T, r pc.Referral) {
			if r.StatusReason != "why" {
				t.Errorf("statusReason %q", r.StatusReason)
			}
		}},
		{"add creates missing objects", `[{"op":"add","path":"/customerProfile/address/city","value":"Oslo"},{"op":"add","path":"/details/requirements/industries/-","value":{"id":"Retail"}}]`, "", func(t *testing.T, r pc.Referral) {
			if r.CustomerProfile.Address.City != "Oslo" || len(r.Details.Requirements.Industries) != 1 {
				t.Errorf("got %+v %+v", r.CustomerProfile.Address, r.Details.Requirements)
			}
		}},
		{"add inserts at an index", `[{"op":"add","path":"/customerProfile/team/0","value":{"email":"b@c.d"}},{"op":"add","path":"/customerProfile/team/0","value":{"email":"a@c.d"}},{"op":"add","path":"/customerProfile/team/2","value":{"email":"z@c.d"}}]`, "", func(t *testing.T, r pc.Referral) {
			var got []string
			for _, m := range r.CustomerProfile.Team {
				got = append(got, m.Email)
			}
			if fmt.Sprint(got) != "[a@c.d b@c.d z@c.d]" {
				t.Errorf("team %v", got)
			}
		}},
		{"paths ignore case", `[{"op":"replace","path":"/Details/DealValue","value":"12345"}]`, "", func(t *testing.T, r pc.Referral) {
			if *r.Details.DealValue != 12345 {
				t.Errorf("dealValue %v", *r.Details.DealValue)
			}
		}},
		{"ops ignore case", `[{"op":"Replace","path":"/name","value":"X"}]`, "", nil},
		{"whole objects", `[{"op":"replace","path":"/consent","value":{"consentToContact":true,"consentToShareReferralWithMicrosoftSellers":true}},{"op":"replace","path":"/customerProfile","value":{"name":"New Co","isMatchingComplete":false}}]`, "", func(t *testing.T, r pc.Referral) {
			if !r.Consent.ConsentToContact || !r.Consent.ConsentToShareReferralWithMicrosoftSellers || r.CustomerProfile.Name != "New Co" {
				t.Errorf("got %+v %+v", r.Consent, r.CustomerProfile)
			}
		}},
		{"services co-sell", `[{"op":"add","path":"/partnerRole","value":"Solution design"},{"op":"add","path":"/solutionArea","value":"Data and AI"},{"op":"add","path":"/solutionPlay","value":"Build and Modernize AI Apps"}]`, "", nil},
		{"clear deal value", `[{"op":"replace","path":"/details/dealValue","value":null}]`, "", func(t *testing.T, r pc.Referral) {
			if r.Details.DealValue != nil {
				t.Errorf("dealValue %v", *r.Details.DealValue)
			}
		}},
		{"remove", `[{"op":"remove","path":"/details/notes"}]`, "[0].op", nil},
		{"move", `[{"op":"replace","path":"/name","value":"x"},{"op":"move","from":"/name","path":"/statusReason"}]`, "[1].op", nil},
		{"copy", `[{"op":"copy","from":"/name","path":"/statusReason"}]`, "[0].op", nil},
		{"test", `[{"op":"test","path":"/name","value":"Contoso deal"}]`, "[0].op", nil},
		{"unknown op", `[{"op":"frobnicate","path":"/name","value":"x"}]`, "[0].op", nil},
		{"no op", `[{"path":"/name","value":"x"}]`, "[0].op", nil},
		{"no path", `[{"op":"replace","value":"x"}]`, "[0].path", nil},
		{"path not a string", `[{"op":"replace","path":5,"value":"x"}]`, "[0].path", nil},
		{"no value", `[{"op":"replace","path":"/name"}]`, "/name", nil},
		{"operation not an object", `[{"op":"replace","path":"/name","value":"x"}, 7]`, "[1]", nil},
		{"not an array", `{"op":"replace","path":"/name","value":"x"}`, "body", nil},
		{"empty patch", `[]`, "body", nil},
		{"malformed", `[{"op":"replace",`, "body", nil},
		{"id", `[{"op":"replace","path":"/id","value":"x"}]`, "/id", nil},
		{"engagementId", `[{"op":"replace","path":"/engagementId","value":"x"}]`, "/engagementId", nil},
		{"organizationId", `[{"op":"replace","path":"/organizationId","value":"msft"}]`, "/organizationId", nil},
		{"type", `[{"op":"replace","path":"/type","value":"Independent"}]`, "/type", nil},
		{"createdDateTime", `[{"op":"replace","path":"/createdDateTime","value":"2020-01-01T00:00:00Z"}]`, "/createdDateTime", nil},
		{"eTag", `[{"op":"replace","path":"/eTag","value":"x"}]`, "/eTag", nil},
		{"whole details", `[{"op":"replace","path":"/details","value":{}}]`, "/details", nil},
		{"unknown field", `[{"op":"replace","path":"/details/colour","value":"red"}]`, "/details/colour", nil},
		{"below a value", `[{"op":"replace","path":"/name/first","value":"x"}]`, "/name/first", nil},
		{"not a pointer", `[{"op":"replace","path":"name","value":"x"}]`, "name", nil},
		{"root", `[{"op":"replace","path":"","value":{}}]`, "[0].path", nil},
		{"bad escape", `[{"op":"replace","path":"/na~2me","value":"x"}]`, "/na~2me", nil},
		{"replace the end of an array", `[{"op":"replace","path":"/team/-","value":{"email":"a@b.c"}}]`, "/team/-", nil},
		{"team by index", `[{"op":"replace","path":"/team/0","value":{"email":"a@b.c"}}]`, "/team/0", nil},
		{"index beyond the end", `[{"op":"replace","path":"/customerProfile/team/3","value":{"email":"a@b.c"}}]`, "/customerProfile/team/3", nil},
		{"add beyond the end", `[{"op":"add","path":"/customerProfile/team/1","value":{"email":"a@b.c"}}]`, "/customerProfile/team/1", nil},
		{"leading zero index", `[{"op":"add","path":"/customerProfile/team/00","value":{"email":"a@b.c"}}]`, "/customerProfile/team/00", nil},
		{"dash in the middle", `[{"op":"add","path":"/customerProfile/team/-/email","value":"a@b.c"}]`, "/customerProfile/team/-/email", nil},
		{"value of wrong type", `[{"op":"replace","path":"/details/dealValue","value":"abc"}]`, "/details/dealValue", nil},
		{"nested value of wrong type", `[{"op":"add","path":"/team/-","value":{"email":5}}]`, "/team/-/email", nil},
		{"null member", `[{"op":"add","path":"/team/-","value":null}]`, "/team/-", nil},
		{"unknown status", `[{"op":"replace","path":"/status","value":"Open"}]`, "/status", nil},
		{"unknown qualification", `[{"op":"replace","path":"/qualification","value":"Hot"}]`, "/qualification", nil},
		{"empty name", `[{"op":"replace","path":"/name","value":""}]`, "/name", nil},
		{"customer without name", `[{"op":"replace","path":"/customerProfile","value":{"size":"10to50employees"}}]`, "/customerProfile/name", nil},
		{"negative deal value", `[{"op":"replace","path":"/details/dealValue","value":-5}]`, "/details/dealValue", nil},
		{"half a services co-sell", `[{"op":"add","path":"/partnerRole","value":"Solution design"}]`, "/solutionArea", nil},
		{"registration by index", `[{"op":"add","path":"/registrations/0","value":{"type":"AzureIPCoSell"}}]`, "/registrations/0", nil},
		{"valid then invalid", `[{"op":"replace","path":"/name","value":"Half"},{"op":"replace","path":"/details/notes","value":"n"},{"op":"replace","path":"/status","value":"Bogus"}]`, "/status", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := c.create(minimal(nil))
			before := c.dump()
			r := c.do(http.MethodPatch, "/v1.0/engagements/referrals/"+ref.ID, tc.ops, "Prefer", "return=representation")
			if tc.target == "" {
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", r.StatusCode, r.body)
				}
				got := decode[pc.Referral](t, r.body)
				if got.ETag == ref.ETag {
					t.Errorf("eTag did not change")
				}
				if tc.check != nil {
					tc.check(t, got)
				}
				return
			}
			wantError(t, r, http.StatusBadRequest, tc.target)
			if after := c.dump(); !reflect.DeepEqual(before, after) {
				t.Errorf("a rejected patch changed the store")
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	op := []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "one"}}
	path := "/v1.0/engagements/referrals/" + ref.ID

	r := c.do(http.MethodPatch, path, op, "If-Match", ref.ETag)
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("current eTag: %d %s", r.StatusCode, r.body)
	}
	second := r.Header.Get("ETag")
	if second == "" || second == ref.ETag {
		t.Fatalf("eTag after a write: %q (before %q)", second, ref.ETag)
	}

	before := c.dump()
	wantError(t, c.do(http.MethodPatch, path, op, "If-Match", ref.ETag), http.StatusPreconditionFailed, "If-Match")
	wantError(t, c.do(http.MethodPatch, path, op, "If-Match", `"nonsense"`), http.StatusPreconditionFailed, "If-Match")
	if after := c.dump(); !reflect.DeepEqual(before, after) {
		t.Errorf("a 412 changed the store")
	}

	for _, form := range []func(string) string{
		func(tag string) string { return "W/" + tag },
		func(string) string { return "*" },
		func(tag string) string { return `"other", ` + tag },
		func(tag string) string { return strings.Trim(tag, `"`) },
	} {
		h := form(second)
		r := c.do(http.MethodPatch, path, op, "If-Match", h)
		if r.StatusCode != http.StatusNoContent {
			t.Fatalf("If-Match %s: %d %s", h, r.StatusCode, r.body)
		}
		second = r.Header.Get("ETag")
	}
	// Without If-Match the patch applies (If-Match is optional).
	if r := c.do(http.MethodPatch, path, op); r.StatusCode != http.StatusNoContent {
		t.Errorf("no If-Match: %d %s", r.StatusCode, r.body)
	}
	if got := c.get(ref.ID); got.ETag == second {
		t.Errorf("eTag unchanged after a write")
	}
}

func TestPrefer(t *testing.T) {
	c := start(t, sandbox.Options{})
	ref := c.create(minimal(nil))
	path := "/v1.0/engagements/referrals/" + ref.ID
	op := []pc.PatchOp{{Op: "replace", Path: "/details/notes", Value: "n"}}

	r := c.do(http.MethodPatch, path, op)
	if r.StatusCode != http.StatusNoContent || len(r.body) != 0 || r.Header.Get("ETag") == "" {
		t.Errorf("without Prefer: %d %q ETag %q", r.StatusCode, r.body, r.Header.Get("ETag"))
	}
	for _, h := range []string{"return=representation", "respond-async, return=representation", `return="representation"`} {
		r := c.do(http.MethodPatch, path, op, "Prefer", h)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("Prefer %s: %d %s", h, r.StatusCode, r.body)
		}
		got := decode[pc.Referral](t, r.body)
		stored := c.get(ref.ID)
		stored.ODataContext = ""
		if !reflect.DeepEqual(got, stored) || r.Header.Get("ETag") != stored.ETag {
			g, _ := json.Marshal(got)
			s, _ := json.Marshal(stored)
			t.Errorf("representation differs from a get:\n%s\n%s", g, s)
		}
	}
	if r := c.do(http.MethodPatch, path, op, "Prefer", "return=minimal"); r.StatusCode != http.StatusNoContent {
		t.Errorf("return=minimal: %d", r.StatusCode)
	}
}
