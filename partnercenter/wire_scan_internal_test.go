package partnercenter

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestUnknownMembersScan: the scan finds the same unknown members as
// parsing the object into a map does, whatever the spacing, nesting,
// strings holding braces and quotes, and case of the names.
func TestUnknownMembersScan(t *testing.T) {
	type wire struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Raw  json.RawMessage `json:"raw"`
	}
	typ := reflect.TypeFor[wire]()
	for _, data := range []string{
		`{}`,
		` { "id" : "a" , "NAME":"b" } `,
		`{"id":"a","extra":{"x":[1,2,{"y":"}]\"{"}],"z":null},"more":-1.5e3,"t":true}`,
		"{\n\t\"raw\": [\"]\", {\"a\": \"\\\\\"}],\r\n \"other\": \"q\\\"uote\"}",
		`{"dup":1,"dup":2}`,
		`{"esc\u0061ped":1,"id":"x"}`,
	} {
		got, err := unknownMembers([]byte(data), typ)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		var want Extra
		if err := json.Unmarshal([]byte(data), &want); err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if _, ok := fieldNamed(typ, k); ok {
				delete(want, k)
			}
		}
		if len(want) == 0 {
			want = nil
		}
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", data, got, want)
			continue
		}
		for k, v := range want {
			var a, b any
			_ = json.Unmarshal(v, &a)
			_ = json.Unmarshal(got[k], &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: member %s = %s, want %s", data, k, got[k], v)
			}
		}
	}
}
