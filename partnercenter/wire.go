package partnercenter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// This file holds how the wire types keep what they do not model and how an
// answer is read when one of its fields has an odd shape.
//
// Keeping: every object type of the resource has an Extra map. Decoding puts
// there each member whose name matches no field (case-insensitively, as
// encoding/json matches names), and encoding writes it back after the
// modelled fields, so a referral read and written again loses nothing the
// service sent (Microsoft's Swagger for the Referrals connector names more
// properties than the documents, and the service may add more).
//
// Tolerance: json.Unmarshal into a Referral is strict about types, which the
// sandbox relies on to refuse a bad body. DecodeReferral reads an answer field
// by field instead: a date sent as a bare date or "" and an amount sent as ""
// are read (the documents and the service send both), and a member that still
// does not fit its field is left zero and kept, as sent, in the Extra of its
// object, so one odd referral never fails a whole list page.

// Extra holds the members of a JSON object that its Go type does not model,
// as sent. Encoding writes them back after the modelled members; a name that
// a modelled member already wrote is not written twice.
type Extra = map[string]json.RawMessage

// decodeObject decodes data into p (a pointer to a struct type without
// methods, the alias of a wire type) and returns the members that name no
// field.
func decodeObject(data []byte, p any) (Extra, error) {
	if err := json.Unmarshal(data, p); err != nil {
		return nil, err
	}
	return unknownMembers(data, reflect.TypeOf(p).Elem())
}

// unknownMembers returns the members of the JSON object data that match no
// field of the struct type t. data has decoded into t already, so it is
// valid JSON: its members are found by a scan that allocates only for the
// unknown ones (parsing it again into a map cost a third of a create's
// CPU, client and sandbox together). A name with escapes takes the map.
func unknownMembers(data []byte, t reflect.Type) (Extra, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil, nil
	}
	var m Extra
	ok := eachMember(data, func(name, value []byte) {
		if _, known := exactFields(t)[string(name)]; known {
			return
		}
		if _, known := fieldNamed(t, string(name)); known {
			return
		}
		if m == nil {
			m = Extra{}
		}
		m[string(name)] = bytes.Clone(value)
	})
	if ok {
		return m, nil
	}
	m = nil
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if _, ok := fieldNamed(t, k); ok {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

var exactFieldCache sync.Map // reflect.Type → map[string]struct{}

// exactFields is the set of t's JSON member names, as spelt.
func exactFields(t reflect.Type) map[string]struct{} {
	if v, ok := exactFieldCache.Load(t); ok {
		return v.(map[string]struct{})
	}
	set := map[string]struct{}{}
	for _, f := range wireFields(t) {
		set[f.name] = struct{}{}
	}
	exactFieldCache.Store(t, set)
	return set
}

// eachMember calls fn with the name and the value of each member of the
// JSON object data, which must be valid JSON. It returns false, having
// called fn for some members or none, when data is not an object or a
// name holds an escape (its bytes are then not its name).
func eachMember(data []byte, fn func(name, value []byte)) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return true
	}
	for i < len(data) {
		if data[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(data) && data[end] != '"' {
			if data[end] == '\\' {
				return false
			}
			end++
		}
		name := data[i+1 : end]
		i = skipSpace(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		start := skipSpace(data, i+1)
		stop := skipValue(data, start)
		if stop <= start {
			return false
		}
		fn(name, data[start:stop])
		i = skipSpace(data, stop)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case '}':
			return true
		case ',':
			i = skipSpace(data, i+1)
		default:
			return false
		}
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at i.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index just after the string starting at i.
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// encodeObject encodes v (the alias of a wire type) and appends the members
// of extra that v did not write, in name order.
func encodeObject(v any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(b, &present); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if _, ok := present[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return b, nil
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Grow(len(b) + 64*len(keys))
	buf.Write(b[:len(b)-1]) // without the closing brace
	n := len(present)
	for _, k := range keys {
		raw := bytes.TrimSpace(extra[k])
		if len(raw) == 0 || !json.Valid(raw) {
			return nil, fmt.Errorf("member %q: not valid JSON", k)
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// wireField is a struct field as JSON sees it.
type wireField struct {
	name  string
	index int
}

var wireFieldCache sync.Map // reflect.Type → []wireField

func wireFields(t reflect.Type) []wireField {
	if v, ok := wireFieldCache.Load(t); ok {
		return v.([]wireField)
	}
	var fs []wireField
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
		fs = append(fs, wireField{name: name, index: i})
	}
	wireFieldCache.Store(t, fs)
	return fs
}

// fieldNamed finds the field a JSON member name decodes into: the exact
// name first, else one equal ignoring case, as encoding/json does.
func fieldNamed(t reflect.Type, key string) (wireField, bool) {
	fs := wireFields(t)
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
	return wireField{}, false
}

// isZero reports whether v is its type's zero value (wire types hold an
// Extra map, so they cannot be compared with ==).
func isZero[T any](v T) bool { return reflect.ValueOf(&v).Elem().IsZero() }

// Problem is a member of an answer that DecodeReferral could not read into
// its field. The member is kept, as sent, in the Extra of its object.
type Problem struct {
	Path string // JSON Pointer of the member, such as "/details/dealValue"
	Err  string
}

func (p Problem) String() string { return p.Path + ": " + p.Err }

// DecodeReferral reads one referral as the service answered it, tolerantly:
// see the top of wire.go. It fails only when data is not a JSON object.
// Problems lists the members that were kept in Extra because they did not
// fit their field; tolerated shapes (a bare or empty date, an empty amount,
// ids as an object) are not problems.
func DecodeReferral(data []byte) (Referral, []Problem, error) {
	var r Referral
	probs, err := DecodeTolerant(data, &r)
	if err != nil {
		return Referral{}, nil, fmt.Errorf("a referral must be a JSON object: %.40s", data)
	}
	return r, probs, nil
}

// DecodeTolerant decodes data into v (a pointer to a wire type) as
// DecodeReferral does. It fails when data does not fit v at all (an array
// for an object); v is then zero.
func DecodeTolerant(data []byte, v any) ([]Problem, error) {
	if err := json.Unmarshal(data, v); err == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("decode: want a non-nil pointer, got %T", v)
	}
	var probs []Problem
	if !decodeLenient(data, rv.Elem(), "", &probs) {
		return nil, fmt.Errorf("decode: %s does not fit %s", describeValue(data), rv.Elem().Type())
	}
	return probs, nil
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	amountType   = reflect.TypeFor[Amount]()
	extraType    = reflect.TypeFor[Extra]()
	rawJSONType  = reflect.TypeFor[json.RawMessage]()
	customerType = reflect.TypeFor[CustomerIDs]()
)

// dateLayouts are the forms of a date and time read besides RFC 3339: the
// service's own without a zone (read as UTC) and a bare date.
var dateLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

// parseLenientTime reads a date and time in RFC 3339 or one of dateLayouts;
// "" is no date (ok with a zero time).
func parseLenientTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// decodeLenient decodes data into v (addressable), field by field where the
// whole does not decode. It reports whether v holds data's value (possibly
// with some members moved to Extra); false leaves v zero.
func decodeLenient(data []byte, v reflect.Value, path string, probs *[]Problem) bool {
	if err := json.Unmarshal(data, v.Addr().Interface()); err == nil {
		return true
	}
	v.SetZero()
	t := v.Type()
	switch {
	case t == timeType:
		var s string
		if json.Unmarshal(data, &s) != nil {
			return false
		}
		tm, ok := parseLenientTime(s)
		if ok {
			v.Set(reflect.ValueOf(tm))
		}
		return ok
	case t.Kind() == reflect.Pointer:
		if t.Elem() == timeType {
			var s string
			if json.Unmarshal(data, &s) != nil {
				return false
			}
			tm, ok := parseLenientTime(s)
			if ok && !tm.IsZero() {
				v.Set(reflect.New(timeType))
				v.Elem().Set(reflect.ValueOf(tm))
			}
			return ok
		}
		if t.Elem() == amountType {
			var s string
			if json.Unmarshal(data, &s) == nil && strings.TrimSpace(s) == "" {
				return true // "dealValue": "" is no value
			}
			return false
		}
		elem := reflect.New(t.Elem())
		if !decodeLenient(data, elem.Elem(), path, probs) {
			return false
		}
		v.Set(elem)
		return true
	case t.Kind() == reflect.Struct:
		ef, hasExtra := t.FieldByName("Extra")
		if !hasExtra || ef.Type != extraType {
			return false
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil || m == nil {
			return false
		}
		extra := Extra{}
		for _, k := range sortedKeys(m) {
			f, ok := fieldNamed(t, k)
			if !ok {
				extra[k] = m[k]
				continue
			}
			fpath := path + "/" + f.name
			if !decodeLenient(m[k], v.Field(f.index), fpath, probs) {
				extra[k] = m[k]
				*probs = append(*probs, Problem{Path: fpath, Err: "kept as sent: " + describeValue(m[k])})
			}
		}
		if len(extra) > 0 {
			v.FieldByIndex(ef.Index).Set(reflect.ValueOf(extra))
		}
		return true
	case t.Kind() == reflect.Slice && t != rawJSONType && t != customerType:
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return false
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if !decodeLenient(it, out.Index(i), fmt.Sprintf("%s/%d", path, i), probs) {
				return false // the parent keeps the whole array as sent
			}
		}
		v.Set(out)
		return true
	}
	return false
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describeValue names the JSON kind of a value, for a Problem.
func describeValue(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "empty"
	}
	switch t[0] {
	case '"':
		if len(t) > 42 {
			return "the string " + string(t[:40]) + "…\""
		}
		return "the string " + string(t)
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "the number " + string(t)
}
