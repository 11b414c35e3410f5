package sandbox

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	pc "github.com/refbatch/refbatch/partnercenter"
)

// The OData $filter subset the sandbox reads: the forms the Partner REST
// documents and Microsoft's Swagger for the Referrals connector show
// ("stringColumn eq 'string' OR numberColumn lt 123"), and little more:
//
//	expr     = or
//	or       = and { "or" and }
//	and      = unary { "and" unary }
//	unary    = "not" unary | "(" expr ")" | operand [ cmpOp operand ]
//	cmpOp    = eq | ne | gt | ge | lt | le
//	operand  = literal | path [ "/" ("any"|"all") "(" [ var ":" expr ] ")" ]
//	path     = name { "/" name }          property names, case-insensitive
//	literal  = 'string' (quote doubled inside) | number | true | false | null
//	         | 2026-03-31T00:00:00Z | 2026-03-31 | datetime'…'
//
// Keywords are case-insensitive. A path must name a property of the Referral
// resource ("customerProfile/address/country"); an array only under any/all
// ("team/any(t:t/email eq 'x@y.com')"). String comparisons ignore case, as
// every enum and id in the sandbox is read case-insensitively; a comparison
// with a missing value is false (ne: true). An operand of an enum property
// (status, substatus, type, qualification, salesStage) must be one of its
// values, and one of a date property a date. Anything else is a 400 naming
// the offending token.

// maxFilterDepth bounds nesting, so a hostile $filter cannot exhaust the
// stack.
const maxFilterDepth = 32

// filterExpr is a parsed $filter: a predicate on a referral.
type filterExpr interface {
	eval(env *evalEnv) bool
}

type evalEnv struct {
	root reflect.Value            // the pc.Referral
	vars map[string]reflect.Value // lambda variables
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokName
	tokString
	tokNumber
	tokDate
	tokPunct // ( ) / : ,
)

type token struct {
	kind tokenKind
	text string // as written (names, punctuation, numbers, dates); the value for strings
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "the end of the filter"
	case tokString:
		return "'" + strings.ReplaceAll(t.text, "'", "''") + "'"
	}
	return t.text
}

// filterError is a $filter the sandbox does not read, naming the token.
type filterError struct {
	tok token
	msg string
}

func (e *filterError) Error() string {
	if e.tok.kind == tokEOF {
		return fmt.Sprintf("%s at the end of the filter", e.msg)
	}
	return fmt.Sprintf("%s: %s at position %d", e.msg, e.tok, e.tok.pos+1)
}

func lexFilter(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("()/:,", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), i})
			i++
		case c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, &filterError{token{tokString, b.String(), start}, "a string is not closed by a single quote"}
			}
			toks = append(toks, token{tokString, b.String(), start})
		case c >= '0' && c <= '9' || c == '-' || c == '+':
			start := i
			i++
			for i < len(s) && strings.IndexByte("0123456789.eE+-:TZtz", s[i]) >= 0 {
				i++
			}
			text := s[start:i]
			if _, ok := parseFilterTime(text); ok && strings.Count(text, "-") >= 2 {
				toks = append(toks, token{tokDate, text, start})
			} else if _, err := strconv.ParseFloat(text, 64); err == nil {
				toks = append(toks, token{tokNumber, text, start})
			} else {
				return nil, &filterError{token{tokName, text, start}, "not a number or a date"}
			}
		case c == '_' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start := i
			for i < len(s) && (s[i] == '_' || s[i] == '@' || s[i] == '.' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
				i++
			}
			name := s[start:i]
			// datetime'…' (OData v3) is a date literal.
			if strings.EqualFold(name, "datetime") && i < len(s) && s[i] == '\'' {
				end := strings.IndexByte(s[i+1:], '\'')
				if end < 0 {
					return nil, &filterError{token{tokName, name, start}, "a datetime literal is not closed"}
				}
				toks = append(toks, token{tokDate, s[i+1 : i+1+end], start})
				i += end + 2
				continue
			}
			toks = append(toks, token{tokName, name, start})
		default:
			return nil, &filterError{token{tokPunct, string(c), i}, "unexpected character"}
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// parseFilterTime reads a date literal: RFC 3339 or a bare date (UTC).
func parseFilterTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

type filterParser struct {
	toks  []token
	i     int
	depth int
	scope []lambdaScope
}

type lambdaScope struct {
	name string
	typ  reflect.Type
}

// parseFilter parses a $filter into a predicate on pc.Referral.
func parseFilter(s string) (filterExpr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &filterError{token{kind: tokEOF}, "the filter is empty"}
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, &filterError{t, "expected and, or or the end of the filter"}
	}
	return e, nil
}

func (p *filterParser) peek() token { return p.toks[p.i] }
func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *filterParser) isKeyword(t token, kw string) bool {
	return t.kind == tokName && strings.EqualFold(t.text, kw)
}

func (p *filterParser) isPunct(t token, c string) bool { return t.kind == tokPunct && t.text == c }

func (p *filterParser) parseOr() (filterExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxFilterDepth {
		return nil, &filterError{p.peek(), "the filter is nested too deeply"}
	}
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (filterExpr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), "and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (filterExpr, error) {
	t := p.peek()
	switch {
	case p.isKeyword(t, "not"):
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxFilterDepth {
			return nil, &filterError{t, "the filter is nested too deeply"}
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case p.isPunct(t, "("):
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); !p.isPunct(c, ")") {
			return nil, &filterError{c, "expected )"}
		}
		return x, nil
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if lam, ok := l.(*lambdaExpr); ok {
		return lam, nil
	}
	opTok := p.peek()
	op := strings.ToLower(opTok.text)
	switch {
	case opTok.kind == tokName && (op == "eq" || op == "ne" || op == "gt" || op == "ge" || op == "lt" || op == "le"):
		p.next()
	case isBoolPath(l):
		return cmpExpr{op: "eq", l: l.(*pathRef), r: literal{v: true}}, nil
	default:
		return nil, &filterError{opTok, "expected a comparison operator (eq, ne, gt, ge, lt, le)"}
	}
	rTok := p.peek()
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if _, ok := r.(*lambdaExpr); ok {
		return nil, &filterError{rTok, "any/all cannot be compared"}
	}
	return p.typedComparison(op, l, r, opTok, rTok)
}

// operand is a path or a literal.
type operand interface{}

type literal struct{ v any } // string, float64, bool, time.Time or nil

type pathRef struct {
	varName string // "" = the referral
	segs    []int  // field indices from the root (or the variable)
	names   []string
	typ     reflect.Type // the leaf's type, pointers removed
}

func isBoolPath(o operand) bool {
	pr, ok := o.(*pathRef)
	return ok && pr.typ.Kind() == reflect.Bool
}

func (p *filterParser) parseOperand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return literal{v: t.text}, nil
	case tokNumber:
		f, _ := strconv.ParseFloat(t.text, 64)
		return literal{v: f}, nil
	case tokDate:
		tm, ok := parseFilterTime(t.text)
		if !ok {
			return nil, &filterError{t, "not a date"}
		}
		return literal{v: tm}, nil
	case tokName:
	default:
		return nil, &filterError{t, "expected a property name or a value"}
	}
	switch strings.ToLower(t.text) {
	case "true":
		return literal{v: true}, nil
	case "false":
		return literal{v: false}, nil
	case "null":
		return literal{v: nil}, nil
	}
	// A path: from a lambda variable or from the referral.
	var typ reflect.Type
	ref := &pathRef{}
	first := true
	name := t
	for {
		if first {
			first = false
			if v, ok := p.lookupVar(name.text); ok {
				ref.varName, typ = v.name, v.typ
				if !p.isPunct(p.peek(), "/") {
					ref.typ = deref(typ)
					return ref, nil
				}
				p.next()
				name = p.next()
				if name.kind != tokName {
					return nil, &filterError{name, "expected a property name"}
				}
			} else {
				typ = reflect.TypeFor[pc.Referral]()
			}
		}
		st := deref(typ)
		if st.Kind() == reflect.Slice && st != rawMessageType {
			lower := strings.ToLower(name.text)
			if lower != "any" && lower != "all" {
				return nil, &filterError{name, "an array can only be followed by /any(…) or /all(…)"}
			}
			return p.parseLambda(ref, st, lower == "all", name)
		}
		if st.Kind() != reflect.Struct || st == timeType {
			return nil, &filterError{name, "this value has no properties"}
		}
		f, ok := fieldByJSONName(st, name.text)
		if !ok {
			return nil, &filterError{name, "the Referral resource has no property of this name here"}
		}
		ref.segs = append(ref.segs, f.index)
		ref.names = append(ref.names, f.name)
		typ = f.typ
		if !p.isPunct(p.peek(), "/") {
			break
		}
		p.next()
		name = p.next()
		if name.kind != tokName {
			return nil, &filterError{name, "expected a property name after /"}
		}
	}
	ref.typ = deref(typ)
	switch k := ref.typ; {
	case k == timeType, k.Kind() == reflect.String, k.Kind() == reflect.Bool, k.Kind() == reflect.Float64:
		return ref, nil
	case k.Kind() == reflect.Slice && k != rawMessageType:
		return nil, &filterError{p.toks[p.i-1], "an array cannot be compared; use /any(x: …)"}
	}
	return nil, &filterError{p.toks[p.i-1], "this property cannot be compared"}
}

func (p *filterParser) lookupVar(name string) (lambdaScope, bool) {
	for i := len(p.scope) - 1; i >= 0; i-- {
		if p.scope[i].name == name {
			return p.scope[i], true
		}
	}
	return lambdaScope{}, false
}

// lambdaExpr is path/any(v: body) or path/all(v: body).
type lambdaExpr struct {
	arr  *pathRef
	all  bool
	name string
	body filterExpr // nil: any() = not empty
}

func (p *filterParser) parseLambda(arr *pathRef, sliceType reflect.Type, all bool, kw token) (filterExpr, error) {
	if c := p.next(); !p.isPunct(c, "(") {
		return nil, &filterError{c, "expected ( after " + kw.text}
	}
	arr.typ = sliceType
	lam := &lambdaExpr{arr: arr, all: all}
	if p.isPunct(p.peek(), ")") {
		p.next()
		if all {
			return nil, &filterError{kw, "all() needs a condition"}
		}
		return lam, nil
	}
	v := p.next()
	if v.kind != tokName {
		return nil, &filterError{v, "expected a variable name"}
	}
	if c := p.next(); !p.isPunct(c, ":") {
		return nil, &filterError{c, "expected : after the variable name"}
	}
	lam.name = v.text
	p.scope = append(p.scope, lambdaScope{name: v.text, typ: sliceType.Elem()})
	body, err := p.parseOr()
	p.scope = p.scope[:len(p.scope)-1]
	if err != nil {
		return nil, err
	}
	if c := p.next(); !p.isPunct(c, ")") {
		return nil, &filterError{c, "expected )"}
	}
	lam.body = body
	return lam, nil
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// enumValues returns the documented values of an enum property, by its
// path from the referral.
func enumValues(ref *pathRef) []string {
	if ref.varName != "" {
		return nil
	}
	switch strings.Join(ref.names, "/") {
	case "status":
		return toStrings(statusValues)
	case "substatus":
		return toStrings(substatusValues)
	case "type":
		return toStrings(typeValues)
	case "qualification":
		return toStrings(qualificationValues)
	case "salesStage":
		return salesStageValues
	case "inviteContext/assistanceRequestCode":
		return assistanceRequestCodeValues
	}
	return nil
}

func toStrings[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

// typedComparison checks that the two sides can be compared and converts
// literals to the path's type.
func (p *filterParser) typedComparison(op string, l, r operand, opTok, rTok token) (filterExpr, error) {
	lp, lIsPath := l.(*pathRef)
	rp, rIsPath := r.(*pathRef)
	if !lIsPath && !rIsPath {
		return nil, &filterError{opTok, "a comparison needs a property on one side"}
	}
	if !lIsPath { // literal op path: turn around
		l, r, lp, rp, rIsPath = r, l, rp, nil, false
		op = map[string]string{"gt": "lt", "lt": "gt", "ge": "le", "le": "ge", "eq": "eq", "ne": "ne"}[op]
	}
	if rIsPath {
		if lp.typ != rp.typ && !(lp.typ.Kind() == reflect.String && rp.typ.Kind() == reflect.String) {
			return nil, &filterError{rTok, "these properties have different types"}
		}
		return cmpExpr{op: op, l: lp, r: rp}, nil
	}
	lit := r.(literal)
	if lit.v == nil {
		if op != "eq" && op != "ne" {
			return nil, &filterError{rTok, "null can only be compared with eq or ne"}
		}
		return cmpExpr{op: op, l: lp, r: lit}, nil
	}
	switch {
	case lp.typ == timeType:
		switch v := lit.v.(type) {
		case time.Time:
		case string:
			tm, ok := parseFilterTime(v)
			if !ok {
				return nil, &filterError{rTok, "not a date"}
			}
			lit.v = tm
		default:
			return nil, &filterError{rTok, "a date property needs a date"}
		}
	case lp.typ.Kind() == reflect.String:
		s, ok := lit.v.(string)
		if !ok {
			return nil, &filterError{rTok, "a string property needs a quoted string"}
		}
		if vals := enumValues(lp); vals != nil {
			c := canonical(s, vals)
			if !oneOf(c, vals) {
				return nil, &filterError{rTok, fmt.Sprintf("not a %s value (%s)", strings.Join(lp.names, "/"), strings.Join(vals, ", "))}
			}
			lit.v = c
		}
	case lp.typ.Kind() == reflect.Bool:
		if _, ok := lit.v.(bool); !ok {
			return nil, &filterError{rTok, "a boolean property needs true or false"}
		}
		if op != "eq" && op != "ne" {
			return nil, &filterError{opTok, "booleans can only be compared with eq or ne"}
		}
	case lp.typ.Kind() == reflect.Float64:
		if _, ok := lit.v.(float64); !ok {
			return nil, &filterError{rTok, "a number property needs a number"}
		}
	}
	return cmpExpr{op: op, l: lp, r: lit}, nil
}

type andExpr struct{ l, r filterExpr }
type orExpr struct{ l, r filterExpr }
type notExpr struct{ x filterExpr }
type cmpExpr struct {
	op string
	l  *pathRef
	r  operand // literal or *pathRef
}

func (e andExpr) eval(env *evalEnv) bool { return e.l.eval(env) && e.r.eval(env) }
func (e orExpr) eval(env *evalEnv) bool  { return e.l.eval(env) || e.r.eval(env) }
func (e notExpr) eval(env *evalEnv) bool { return !e.x.eval(env) }

func (e *lambdaExpr) eval(env *evalEnv) bool {
	v, ok := e.arr.value(env)
	if !ok || v.Kind() != reflect.Slice {
		return e.all
	}
	if e.body == nil {
		return v.Len() > 0
	}
	if env.vars == nil {
		env.vars = map[string]reflect.Value{}
	}
	saved, had := env.vars[e.name]
	defer func() {
		if had {
			env.vars[e.name] = saved
		} else {
			delete(env.vars, e.name)
		}
	}()
	for i := range v.Len() {
		env.vars[e.name] = v.Index(i)
		if got := e.body.eval(env); got != e.all {
			return got
		}
	}
	return e.all
}

// value resolves a path; ok is false when a value on the way is missing.
func (r *pathRef) value(env *evalEnv) (reflect.Value, bool) {
	v := env.root
	if r.varName != "" {
		v = env.vars[r.varName]
	}
	for _, idx := range r.segs {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(idx)
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	return v, v.IsValid()
}

// scalar returns a path's value as string, float64, bool or time.Time; nil
// when it is missing (a zero time and an empty string count as missing).
func (r *pathRef) scalar(env *evalEnv) any {
	v, ok := r.value(env)
	if !ok {
		return nil
	}
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return nil
		}
		return t
	case v.Kind() == reflect.String:
		if v.String() == "" {
			return nil
		}
		return v.String()
	case v.Kind() == reflect.Bool:
		return v.Bool()
	case v.Kind() == reflect.Float64:
		return v.Float()
	}
	return nil
}

func (e cmpExpr) eval(env *evalEnv) bool {
	a := e.l.scalar(env)
	var b any
	switch r := e.r.(type) {
	case literal:
		b = r.v
	case *pathRef:
		b = r.scalar(env)
	}
	if a == nil || b == nil {
		same := a == nil && b == nil
		switch e.op {
		case "eq":
			return same
		case "ne":
			return !same
		}
		return false
	}
	c, ok := compareScalars(a, b)
	if !ok {
		return e.op == "ne"
	}
	switch e.op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func compareScalars(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		if x == y {
			return 0, true
		}
		return 1, true
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return 0, false
		}
		return x.Compare(y), true
	}
	return 0, false
}

var reflectTypeReferral = reflect.TypeFor[pc.Referral]()
