package rules

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/refbatch/refbatch"
)

//go:embed builtin.yaml
var builtinRules []byte

// builtinName is how errors and RuleInfo.Origin name the built-in rules file.
const builtinName = "built-in rules"

// BuiltinRules returns the built-in rules file, as `refbatch rules` prints it
// and as a starting point for a team's own file.
func BuiltinRules() []byte { return slices.Clone(builtinRules) }

// Options configure a Policy.
type Options struct {
	// Now is the clock rules see as Today (its date, in UTC); nil means
	// time.Now. Tests and reproducible runs inject it.
	Now func() time.Time
	// FiscalYear picks the Solution Area/Play table every row is checked
	// against (2026 for FY26; Tables.ForFiscalYear). Zero checks each row
	// against the table of its Closing Date's fiscal year, and a row without
	// one against Today's.
	FiscalYear int
}

// Policy is a compiled rule set bound to its reference tables. It is
// immutable and safe for concurrent use; evaluation state lives in the
// Evaluators and DuplicateChecks it hands out.
type Policy struct {
	tables *Tables
	facts  []test  // the when parts rules share, computed once per row
	rows   []*rule // evaluated per row by an Evaluator, in file order
	gates  []gate  // gates[i] is rows[i]'s
	index  *ruleIndex
	unique []*rule // evaluated across rows by a DuplicateCheck
	ugates []gate
	infos  []RuleInfo
	now    func() time.Time
	hash   string
	// byYear are the policy compiled against each fiscal year's Solution
	// Area/Play table, oldest first, when rows pick theirs by date; nil
	// when every row uses tables'.
	byYear []*Policy
	years  []int // byYear's fiscal years
}

// RuleInfo describes one rule entry, for `refbatch rules list`.
type RuleInfo struct {
	ID       string
	Severity refbatch.Severity
	Columns  []string // canonical column names the findings are about
	When     string   // empty: always
	Check    string   // empty for a unique rule
	Unique   string   // the cross-row key, for a unique rule
	Message  string
	Origin   string // "built-in rules:12" or the user's "file:line"
}

// rule is one compiled rule entry.
type rule struct {
	info     RuleInfo
	id       string
	severity refbatch.Severity
	columns  []refbatch.Column
	when     *expression // nil: always
	check    *expression // nil for a unique rule
	unique   *expression
	message  message
	// reads are the columns the rule's when, check and key read. A rule is
	// not evaluated on a row where one of them is invalid: the importer has
	// reported that cell already, and its value is a zero, not the data.
	// Action is left out: Resolve gives it a value even when its cell is
	// invalid.
	reads refbatch.ColumnSet
}

// gate is what bit tests decide about a rule on a row, before any of its
// expressions runs: whether a cell it reads is invalid, and whether its when
// holds as far as filled() and the policy facts tell. Most rules of most rows
// stop here.
type gate struct {
	reads  refbatch.ColumnSet // the rule is skipped when one of these is invalid
	filled refbatch.ColumnSet // its when needs these filled
	facts  uint64             // and these facts
	exact  bool               // its when is no more than that (or it has none)
}

func (r *rule) gate() gate {
	g := gate{reads: r.reads, exact: true}
	if r.when != nil {
		g.filled, g.facts, g.exact = r.when.filled, r.when.facts, r.when.exact
	}
	return g
}

// Load compiles the built-in rules, extended or replaced by the rules file at
// path ("" for the built-in rules alone), against tables (nil for the
// built-in tables). A user file extends the built-in rules: its entries whose
// id is a built-in id replace that built-in family, its other entries are
// added; `replace: true` drops every built-in rule and `disable: [ids]`
// removes built-in families. Every problem is reported, each as a
// *refbatch.InputError naming the file, line, rule id and the line:column of
// the error.
func Load(path string, tables *Tables, opts Options) (*Policy, error) {
	var user []byte
	if path != "" {
		var err error
		if user, err = readCapped(path, maxRulesBytes, "a rules file is a few kilobytes of YAML"); err != nil {
			return nil, err
		}
	}
	return LoadBytes(path, user, tables, opts)
}

// maxRulesBytes bounds a rules file: the built-in one is 20 KiB, and a
// huge file would take minutes and gigabytes to parse before failing.
const maxRulesBytes = 4 << 20

// readCapped reads a configuration file of at most limit bytes, refusing a
// larger one before reading it whole (and a directory or other non-file).
func readCapped(path string, limit int64, why string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: unwrapPathErr(err)}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, &refbatch.InputError{File: path, Err: errors.New("is not a regular file")}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: unwrapPathErr(err)}
	}
	if int64(len(data)) > limit {
		return nil, &refbatch.InputError{File: path, Err: fmt.Errorf("is larger than %d MiB; %s: is this the right file?", limit>>20, why)}
	}
	return data, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// LoadBytes is Load with the user file's content given; with name empty there
// is no user file.
func LoadBytes(name string, user []byte, tables *Tables, opts Options) (*Policy, error) {
	if tables == nil {
		var err error
		if tables, err = LoadTables(""); err != nil {
			return nil, err
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	fy := opts.FiscalYear
	if fy == 0 {
		fy = FiscalYearOf(today(now))
	}
	p, err := compilePolicy(name, user, tables.ForFiscalYear(fy), now)
	if err != nil {
		return nil, err
	}
	if opts.FiscalYear == 0 && len(tables.taxonomies) > 1 {
		for i := range tables.taxonomies {
			y, err := compilePolicy(name, user, tables.withTaxonomy(i), now)
			if err != nil {
				return nil, err
			}
			p.byYear = append(p.byYear, y)
		}
		p.years = tables.FiscalYears()
	}
	h := sha256.New()
	fmt.Fprintf(h, "rules\x00%d\x00", len(builtinRules))
	h.Write(builtinRules)
	fmt.Fprintf(h, "\x00user\x00%d\x00", len(user))
	h.Write(user)
	fmt.Fprintf(h, "\x00tables\x00%s", tables.Hash())
	if opts.FiscalYear != 0 {
		fmt.Fprintf(h, "\x00fiscal year\x00%d", opts.FiscalYear)
	}
	p.hash = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// compilePolicy compiles the rules against tables, with their Solution
// Area/Play table in use.
func compilePolicy(name string, user []byte, tables *Tables, now func() time.Time) (*Policy, error) {
	p := &Policy{tables: tables, now: now}

	builtin, errs := parseRulesFile(newSourceFile(builtinName, builtinRules))
	specs := builtin.rules
	if name != "" {
		doc, userErrs := parseRulesFile(newSourceFile(name, user))
		errs = append(errs, userErrs...)
		if len(userErrs) == 0 {
			var mergeErrs []error
			specs, mergeErrs = merge(builtin, doc)
			errs = append(errs, mergeErrs...)
		}
	}
	c := newExprCompiler(tables)
	if len(errs) == 0 {
		for _, s := range specs {
			r, err := c.compileRule(s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.infos = append(p.infos, r.info)
			if r.unique != nil {
				p.unique, p.ugates = append(p.unique, r), append(p.ugates, r.gate())
			} else {
				p.rows, p.gates = append(p.rows, r), append(p.gates, r.gate())
			}
		}
	}
	switch len(errs) {
	case 0:
	case 1:
		return nil, errs[0] // an *refbatch.InputError
	default:
		return nil, errors.Join(errs...) // one line each
	}
	p.facts = c.facts
	p.index = newRuleIndex(p.gates)
	return p, nil
}

// Rules describes the policy's rule entries in evaluation order.
func (p *Policy) Rules() []RuleInfo {
	out := make([]RuleInfo, len(p.infos))
	for i, r := range p.infos {
		r.Columns = slices.Clone(r.Columns)
		out[i] = r
	}
	return out
}

// Tables returns the reference tables the policy was compiled with, with
// the Solution Area/Play table of Options.FiscalYear (else of Today's fiscal
// year) in use: the one the template's drop-downs offer.
func (p *Policy) Tables() *Tables { return p.tables }

// Hash is the SHA-256 of the rules (built-in and user file) and the tables;
// the journal stores it with a run so that a resume can tell the policy
// changed.
func (p *Policy) Hash() string { return p.hash }

// rulesDoc is a parsed rules file, before compilation.
type rulesDoc struct {
	file    *sourceFile
	replace bool
	disable []idRef
	rules   []*ruleSpec
}

type idRef struct {
	id  string
	pos position
}

// ruleSpec is one entry of a rules file as written.
type ruleSpec struct {
	file     *sourceFile
	start    position // of the entry's first key
	id       string
	severity string
	sevPos   position
	columns  []idRef // column names as written
	when     *scalar
	check    *scalar
	unique   *scalar
	message  *scalar
}

// errorAt reports a problem with the entry at pos (the entry's start when
// pos is zero).
func (s *ruleSpec) errorAt(pos position, format string, args ...any) error {
	if pos.line == 0 {
		pos = s.start
	}
	return &refbatch.InputError{File: s.file.name, Row: pos.line, Rule: s.id,
		Err: fmt.Errorf("%d:%d: %s", pos.line, pos.col, fmt.Sprintf(format, args...))}
}

func fileError(f *sourceFile, pos position, format string, args ...any) error {
	return &refbatch.InputError{File: f.name, Row: pos.line,
		Err: fmt.Errorf("%d:%d: %s", pos.line, pos.col, fmt.Sprintf(format, args...))}
}

// yamlError turns a YAML parse error into an InputError at its position.
func yamlError(f *sourceFile, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		p := ye.GetToken().Position
		return fileError(f, position{p.Line, p.Column}, "%s", ye.GetMessage())
	}
	return &refbatch.InputError{File: f.name, Err: err}
}

// parseRulesFile reads a rules file's structure; expressions are compiled
// later, once the files are merged.
func parseRulesFile(f *sourceFile) (*rulesDoc, []error) {
	doc := &rulesDoc{file: f}
	tree, err := parser.ParseBytes(f.data, 0)
	if err != nil {
		return doc, []error{yamlError(f, err)}
	}
	if len(tree.Docs) == 0 || tree.Docs[0].Body == nil {
		return doc, nil
	}
	if len(tree.Docs) > 1 {
		return doc, []error{fileError(f, nodePos(tree.Docs[1].Body), "a rules file holds one YAML document")}
	}
	top, ok := tree.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return doc, []error{fileError(f, nodePos(tree.Docs[0].Body), "a rules file is a mapping with a rules: list")}
	}
	var errs []error
	for _, kv := range top.Values {
		switch keyName(kv) {
		case "rules":
			seq, ok := kv.Value.(*ast.SequenceNode)
			if !ok {
				if _, null := kv.Value.(*ast.NullNode); !null {
					errs = append(errs, fileError(f, nodePos(kv.Value), "rules: is a list of rules"))
				}
				continue
			}
			for _, item := range seq.Values {
				spec, itemErrs := parseRule(f, item)
				errs = append(errs, itemErrs...)
				if spec != nil {
					doc.rules = append(doc.rules, spec)
				}
			}
		case "replace":
			b, ok := kv.Value.(*ast.BoolNode)
			if !ok {
				errs = append(errs, fileError(f, nodePos(kv.Value), "replace: is true or false"))
				continue
			}
			doc.replace = b.Value
		case "disable":
			names, err := stringList(f, kv.Value)
			if err != nil {
				errs = append(errs, err)
			}
			doc.disable = append(doc.disable, names...)
		default:
			errs = append(errs, fileError(f, nodePos(kv.Key), "unknown key %q (a rules file has rules, replace and disable)", keyName(kv)))
		}
	}
	return doc, errs
}

// stringList reads a list of scalars, or a single scalar.
func stringList(f *sourceFile, n ast.Node) ([]idRef, error) {
	var items []ast.Node
	switch n := n.(type) {
	case *ast.SequenceNode:
		items = n.Values
	case *ast.NullNode:
	default:
		items = []ast.Node{n}
	}
	var out []idRef
	for _, it := range items {
		s, ok := f.scalarOf(it)
		if !ok || strings.TrimSpace(s.value) == "" {
			return out, fileError(f, nodePos(it), "expected a name")
		}
		out = append(out, idRef{id: strings.TrimSpace(s.value), pos: s.start})
	}
	return out, nil
}

var ruleKeys = []string{"id", "severity", "when", "check", "unique", "columns", "message"}

func parseRule(f *sourceFile, n ast.Node) (*ruleSpec, []error) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return nil, []error{fileError(f, nodePos(n), "a rule is a mapping with id, severity, when, check, columns and message")}
	}
	start := mappingPos(m)
	s := &ruleSpec{file: f, start: start}
	var errs []error
	text := func(kv *ast.MappingValueNode) *scalar {
		sc, ok := f.scalarOf(kv.Value)
		if !ok {
			errs = append(errs, fileError(f, nodePos(kv.Value), "%s: is a single value (quote it, or use | for several lines)", keyName(kv)))
			return nil
		}
		return &sc
	}
	// The id first, so that every error can name it.
	for _, kv := range m.Values {
		if keyName(kv) == "id" {
			if sc := text(kv); sc != nil {
				s.id = strings.TrimSpace(sc.value)
				if !validID(s.id) {
					errs = append(errs, s.errorAt(sc.start, "rule id %q: use letters, digits, '-', '_' and '.'", s.id))
				}
			}
		}
	}
	for _, kv := range m.Values {
		switch key := keyName(kv); key {
		case "id":
		case "severity":
			if sc := text(kv); sc != nil {
				s.severity, s.sevPos = strings.TrimSpace(sc.value), sc.start
			}
		case "when":
			s.when = text(kv)
		case "check":
			s.check = text(kv)
		case "unique":
			s.unique = text(kv)
		case "message":
			s.message = text(kv)
		case "columns":
			cols, err := stringList(f, kv.Value)
			if err != nil {
				errs = append(errs, err)
			}
			s.columns = cols
		default:
			errs = append(errs, s.errorAt(nodePos(kv.Key), "unknown key %q (a rule has %s)", key, strings.Join(ruleKeys, ", ")))
		}
	}
	if s.id == "" {
		errs = append(errs, s.errorAt(start, "rule without an id"))
	}
	switch {
	case s.check == nil && s.unique == nil:
		errs = append(errs, s.errorAt(start, "rule without a check"))
	case s.check != nil && s.unique != nil:
		errs = append(errs, s.errorAt(s.unique.start, "a rule has a check or a unique key, not both"))
	}
	switch s.severity {
	case "", string(refbatch.SeverityError), string(refbatch.SeverityWarning):
	default:
		errs = append(errs, s.errorAt(s.sevPos, "unknown severity %q (error or warning)", s.severity))
	}
	return s, errs
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for i, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '-' || r == '_' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// merge applies a user rules file to the built-in rules.
func merge(builtin, user *rulesDoc) ([]*ruleSpec, []error) {
	var errs []error
	if user.replace {
		for _, d := range user.disable {
			errs = append(errs, fileError(user.file, d.pos, "disable has no effect with replace: true"))
		}
		return user.rules, errs
	}
	families := map[string]bool{}
	for _, s := range builtin.rules {
		families[s.id] = true
	}
	disabled := map[string]bool{}
	for _, d := range user.disable {
		if !families[d.id] {
			errs = append(errs, fileError(user.file, d.pos, "disable: %q is not a built-in rule id", d.id))
		}
		disabled[d.id] = true
	}
	byID := map[string][]*ruleSpec{}
	var added []*ruleSpec
	for _, s := range user.rules {
		switch {
		case disabled[s.id]:
			errs = append(errs, s.errorAt(position{}, "rule %q is both disabled and defined", s.id))
		case families[s.id]:
			byID[s.id] = append(byID[s.id], s)
		default:
			added = append(added, s)
		}
	}
	var out []*ruleSpec
	placed := map[string]bool{}
	for _, s := range builtin.rules {
		if disabled[s.id] {
			continue
		}
		if family, ok := byID[s.id]; ok {
			// The user's family takes the built-in family's place.
			if !placed[s.id] {
				out = append(out, family...)
				placed[s.id] = true
			}
			continue
		}
		out = append(out, s)
	}
	return append(out, added...), errs
}

// compileRule compiles one entry's expressions, columns and message.
func (c *exprCompiler) compileRule(s *ruleSpec) (*rule, error) {
	r := &rule{id: s.id, severity: refbatch.Severity(s.severity)}
	if r.severity == "" {
		r.severity = refbatch.SeverityError
	}
	r.info = RuleInfo{ID: s.id, Severity: r.severity, Origin: fmt.Sprintf("%s:%d", s.file.name, s.start.line)}
	for _, cref := range s.columns {
		col, ok := refbatch.ColumnByName(cref.id)
		if !ok {
			return nil, s.errorAt(cref.pos, "unknown column %q", cref.id)
		}
		r.columns = append(r.columns, col)
		r.info.Columns = append(r.info.Columns, col.String())
	}
	compile := func(sc *scalar, want reflect.Kind, when bool) (*expression, error) {
		if sc == nil {
			return nil, nil
		}
		if strings.TrimSpace(sc.value) == "" {
			return nil, s.errorAt(sc.start, "empty expression")
		}
		x, err := c.compile(sc.value, want, when)
		if err != nil {
			return nil, s.errorAt(sc.pos(err.offset), "%s", err.msg)
		}
		return x, nil
	}
	var err error
	if r.when, err = compile(s.when, wantBool, true); err != nil {
		return nil, err
	}
	if r.check, err = compile(s.check, wantBool, false); err != nil {
		return nil, err
	}
	if r.unique, err = compile(s.unique, wantText, false); err != nil {
		return nil, err
	}
	for _, x := range []*expression{r.when, r.check, r.unique} {
		if x != nil {
			r.reads = r.reads.Union(x.reads)
		}
	}
	r.reads = r.reads.Without(refbatch.ColAction)

	// Without a message, say what failed.
	msg := "fails: " + textOf(s.check)
	if s.unique != nil {
		msg = "repeats the " + textOf(s.unique) + " of row {{ FirstRow }}"
	}
	if s.message != nil {
		msg = s.message.value
	}
	var merr *exprError
	if r.message, merr = c.compileMessage(msg); merr != nil {
		if s.message == nil {
			return nil, s.errorAt(position{}, "message: %s", merr.msg)
		}
		return nil, s.errorAt(s.message.pos(merr.offset), "message: %s", merr.msg)
	}
	r.info.When = textOf(s.when)
	r.info.Check = textOf(s.check)
	r.info.Unique = textOf(s.unique)
	r.info.Message = msg
	return r, nil
}

func textOf(s *scalar) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(s.value)
}
