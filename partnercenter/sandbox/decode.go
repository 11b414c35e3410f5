package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
)

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// decodeBody decodes a JSON request body into v (a pointer). Keys match field
// names case-insensitively, as in encoding/json (the documents send
// "ConsentToToShareInfoWithOthers"), and unknown keys are ignored (the
// documents send "trackingInfo" and "activities", which the resource does not
// model). A value of the wrong type is answered with a 400 whose target is the
// offending field, such as "details.dealValue" or "customerProfile.team[1].email".
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest(codeInvalidJSON, "body", "the request needs a JSON body")
	}
	if !json.Valid(body) {
		var any any
		err := json.Unmarshal(body, &any)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return badRequest(codeInvalidJSON, "body", "malformed JSON at byte %d: %v", se.Offset, se)
		}
		return badRequest(codeInvalidJSON, "body", "malformed JSON")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	// Shapes the documents and the service use besides the strict ones (a
	// bare or empty date, "" for an amount) are read as the client reads
	// them; anything else is refused below, naming the field.
	if probs, terr := partnercenter.DecodeTolerant(body, v); terr == nil && len(probs) == 0 {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	var generic any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&generic) != nil {
		return badRequest(codeInvalidJSON, "body", "malformed JSON")
	}
	t := reflect.TypeOf(v).Elem()
	if loc := locate(generic, t, ""); loc != nil {
		err = loc.err
		if loc.path != "" {
			return badRequest(codeInvalidValue, loc.path, "%s: %s", loc.path, describeDecodeError(loc.typ, err))
		}
	}
	return badRequest(codeInvalidValue, "body", "the body %s", describeDecodeError(t, err))
}

// located is where a JSON value first fails to decode into its Go type.
type located struct {
	path string // body-style target; "" for the root
	typ  reflect.Type
	err  error
}

// locate finds the innermost value of raw (a tree decoded with UseNumber)
// that does not decode into t, so that an error can name the field rather
// than the body. It returns nil when raw decodes. Only the error path calls
// it, so re-encoding subtrees is affordable.
func locate(raw any, t reflect.Type, path string) *located {
	b, err := json.Marshal(raw)
	if err != nil {
		return &located{path: path, typ: t, err: err}
	}
	err = json.Unmarshal(b, reflect.New(t).Interface())
	if err == nil {
		return nil
	}
	here := &located{path: path, typ: t, err: err}
	// A wire struct's UnmarshalJSON only keeps unknown members; its fields
	// can still be located. Other unmarshalers (dates, amounts) are leaves.
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) && (base.Kind() != reflect.Struct || base == timeType) {
		return here
	}
	switch t.Kind() {
	case reflect.Pointer:
		if loc := locate(raw, t.Elem(), path); loc != nil {
			return loc
		}
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			return here
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fieldByJSONName(t, k)
			if !ok {
				continue
			}
			if loc := locate(m[k], f.typ, joinTarget(path, f.name)); loc != nil {
				return loc
			}
		}
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			return here
		}
		for i, el := range arr {
			if loc := locate(el, t.Elem(), joinTarget(path, fmt.Sprintf("[%d]", i))); loc != nil {
				return loc
			}
		}
	}
	return here
}

// describeDecodeError says, without Go type names, what was wrong.
func describeDecodeError(t reflect.Type, err error) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var ute *json.UnmarshalTypeError
	switch {
	case t == timeType:
		return "want a date and time in RFC 3339 form, such as 2026-03-31T00:00:00Z"
	case errors.As(err, &ute):
		return fmt.Sprintf("a JSON %s is not allowed here; want %s", ute.Value, jsonKind(ute.Type))
	case err != nil:
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "is invalid"
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// jsonField is a struct field as JSON sees it.
type jsonField struct {
	name  string // canonical JSON name
	index int
	typ   reflect.Type
}

var fieldCache sync.Map // reflect.Type → []jsonField

func jsonFields(t reflect.Type) []jsonField {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]jsonField)
	}
	var fs []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fs = append(fs, jsonField{name: name, index: i, typ: sf.Type})
	}
	fieldCache.Store(t, fs)
	return fs
}

// fieldByJSONName finds a field by its JSON name: exactly, else ignoring
// case, as encoding/json does.
func fieldByJSONName(t reflect.Type, key string) (jsonField, bool) {
	fs := jsonFields(t)
	for _, f := range fs {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}
