package partnercenter_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
)

// TestDocumentExamplesRoundTrip decodes every JSON example of the
// documents into the wire types, encodes it again and checks that nothing
// the types model was lost or changed: every value of the example is in
// the re-encoded JSON, equal, except values that mean "absent" (null, "",
// [], {}) and the fields listed as not modelled. Keys match
// case-insensitively, as encoding/json decodes them (one example writes
// "ConsentToToShareInfoWithOthers").
func TestDocumentExamplesRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		into func() any
		// unmodelled lists paths the types leave out on purpose.
		unmodelled []string
	}{
		{"create-request.json", func() any { return new(partnercenter.Referral) }, nil},
		{"create-response.json", func() any { return new(partnercenter.Referral) }, nil},
		{"cosell-partner-led-request.json", func() any { return new(partnercenter.Referral) }, nil},
		{"cosell-microsoft-request.json", func() any { return new(partnercenter.Referral) }, nil},
		{"get-response.json", func() any { return new(partnercenter.Referral) }, nil},
		// The legacy v1 API called substatus "statusDetail"; refbatch speaks v1.0.
		{"get-legacy-response.json", func() any { return new(partnercenter.Referral) }, []string{"statusDetail"}},
		{"patch-example.json", func() any { return new([]partnercenter.PatchOp) }, nil},
		{"patch-deal-value-notes.json", func() any { return new([]partnercenter.PatchOp) }, nil},
		{"patch-status-won.json", func() any { return new([]partnercenter.PatchOp) }, nil},
		{"patch-add-team-member.json", func() any { return new([]partnercenter.PatchOp) }, nil},
		{"patch-add-registration.json", func() any { return new([]partnercenter.PatchOp) }, nil},
		{"partner-eligibility-response.json", func() any { return new(partnercenter.PartnerEligibility) }, nil},
		{"referral-eligibility-response.json", func() any { return new(partnercenter.ReferralEligibility) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			doc := readDoc(t, tt.file)
			v := tt.into()
			if err := json.Unmarshal(doc, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			// From then on the round trip is exact.
			v2 := tt.into()
			if err := json.Unmarshal(out, v2); err != nil {
				t.Fatalf("decode again: %v", err)
			}
			if out2, _ := json.Marshal(v2); string(out2) != string(out) {
				t.Errorf("second round trip differs:\n%s\n%s", out, out2)
			}
			var want, got any
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			for _, p := range lost("", want, got) {
				if !slices.Contains(tt.unmodelled, p) {
					t.Errorf("lost or changed: %s", p)
				}
			}
		})
	}
}

// TestPatchRegistrationValueDecodes checks the deal-registration patch value
// decodes into the Registration type with nothing left over.
func TestPatchRegistrationValueDecodes(t *testing.T) {
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(readDoc(t, "patch-add-registration.json"), &ops); err != nil {
		t.Fatal(err)
	}
	var reg partnercenter.Registration
	if err := json.Unmarshal(ops[0].Value, &reg); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(reg)
	var want, got any
	json.Unmarshal(ops[0].Value, &want)
	json.Unmarshal(out, &got)
	if l := lost("", want, got); len(l) > 0 {
		t.Errorf("lost: %v", l)
	}
	if reg.Type != partnercenter.RegistrationTypeAzureIPCoSell || reg.Contract.Value == nil || *reg.Contract.Value != 250000 ||
		len(reg.SolutionDetails) != 1 || !reg.SolutionDetails[0].MarketplaceTransactionDetails.IsMarketplaceTransacted {
		t.Errorf("registration = %+v", reg)
	}
}

// lost lists the paths of want whose value is missing from got or differs.
func lost(path string, want, got any) []string {
	if isAbsent(want) && (got == nil || isAbsent(got)) {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for k, wv := range w {
			gv, _ := lookupFold(g, k)
			out = append(out, lost(join(path, k), wv, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{path}
		}
		var out []string
		for i := range w {
			out = append(out, lost(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case string:
		if g, ok := got.(string); ok && sameTime(w, g) {
			return nil
		}
		if g, ok := got.(float64); ok && fmt.Sprint(g) == w { // Amount encodes "10000" as 10000
			return nil
		}
	case bool:
		if !w && got == nil { // an omitempty false
			return nil
		}
	}
	if !reflect.DeepEqual(want, got) {
		return []string{path}
	}
	return nil
}

func isAbsent(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		for _, x := range v {
			if !isAbsent(x) {
				return false
			}
		}
		return true
	}
	return false
}

func lookupFold(m map[string]any, k string) (any, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v, true
		}
	}
	return nil, false
}

func sameTime(a, b string) bool {
	if a == b {
		return true
	}
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
