package rules

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/refbatch/refbatch"
)

// Case is one rule test case: rows as a spreadsheet would hold them and the
// findings the policy must report about them, no more and no fewer. A team
// that edits its rules or the fiscal year's tables runs its cases with
// `refbatch rules test CASES.yaml`.
//
//	today: 2026-06-01            # optional: the date rules see as Today
//	cases:
//	  - name: co-sell deal without a contact
//	    row: {Name: Contoso, Deal Type: Co-sell, …}   # or rows: [{…}, {…}]
//	    expect:
//	      - {rule: cosell, column: Contact Email}
//	      - {rule: date, severity: warning, row: 1}
//
// An expectation names a rule id and optionally the column, severity and row
// (1-based, within the case) of the finding; expect: [] expects none.
type Case struct {
	Name   string
	File   string
	Line   int       // where the case starts in File
	Today  time.Time // zero: the policy's clock
	Rows   []CaseRow
	Expect []Expectation
}

// CaseRow is one row of a case, as headers and cell texts.
type CaseRow struct {
	Headers []string
	Values  []string
}

// Expectation is one finding a case expects.
type Expectation struct {
	Rule     string
	Column   string            // canonical name; empty: any column or none
	Severity refbatch.Severity // empty: any
	Row      int               // 1-based row of the case; 0: any
	Line     int               // where it is written
}

func (x Expectation) String() string {
	s := x.Rule
	if x.Column != "" {
		s += " on " + x.Column
	}
	if x.Severity != "" {
		s += " (" + string(x.Severity) + ")"
	}
	if x.Row > 0 {
		s += fmt.Sprintf(" in row %d", x.Row)
	}
	return s
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	Case       Case
	Findings   []refbatch.Finding // every finding, from the row builder and the policy
	Missing    []Expectation      // expected but not found
	Unexpected []refbatch.Finding // found but not expected
	Err        error              // the rows could not be built
}

// Passed reports whether the case found exactly what it expected.
func (r CaseResult) Passed() bool {
	return r.Err == nil && len(r.Missing) == 0 && len(r.Unexpected) == 0
}

// LoadCases reads a rule test cases file.
func LoadCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: err}
	}
	return ParseCases(path, data)
}

// ParseCases reads rule test cases from data; name is used in errors.
func ParseCases(name string, data []byte) ([]Case, error) {
	f := newSourceFile(name, data)
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(f, err)
	}
	if len(tree.Docs) == 0 || tree.Docs[0].Body == nil {
		return nil, fileError(f, position{1, 1}, "no cases")
	}
	top, ok := tree.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil, fileError(f, nodePos(tree.Docs[0].Body), "a cases file is a mapping with a cases: list")
	}
	cp := &casesParser{f: f, anchors: map[string]ast.Node{}}
	for _, n := range ast.Filter(ast.AnchorType, top) {
		a := n.(*ast.AnchorNode)
		cp.anchors[a.Name.GetToken().Value] = a.Value
	}
	var today time.Time
	var list *ast.SequenceNode
	for _, kv := range top.Values {
		switch keyName(kv) {
		case "today":
			if today, err = caseDate(f, kv.Value); err != nil {
				return nil, err
			}
		case "cases":
			if list, ok = cp.deref(kv.Value).(*ast.SequenceNode); !ok {
				return nil, fileError(f, nodePos(kv.Value), "cases: is a list")
			}
		default:
			return nil, fileError(f, nodePos(kv.Key), "unknown key %q (a cases file has today and cases)", keyName(kv))
		}
	}
	if list == nil {
		return nil, fileError(f, position{1, 1}, "no cases: list")
	}
	var cases []Case
	for _, item := range list.Values {
		c, err := cp.parseCase(item, today)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func caseDate(f *sourceFile, n ast.Node) (time.Time, error) {
	s, _ := f.scalarOf(n)
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s.value))
	if err != nil {
		return t, fileError(f, nodePos(n), "today: %q is not YYYY-MM-DD", s.value)
	}
	return t, nil
}

// casesParser reads the cases, resolving the anchors (&row), aliases (*row)
// and merge keys (<<: *row) that let cases share a base row.
type casesParser struct {
	f       *sourceFile
	anchors map[string]ast.Node
}

// deref returns the node an anchor, alias or tag stands for.
func (cp *casesParser) deref(n ast.Node) ast.Node {
	for range 100 { // an alias chain longer than this is a loop
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := cp.anchors[v.Value.GetToken().Value]
			if !ok {
				return v
			}
			n = target
		default:
			return n
		}
	}
	return n
}

func (cp *casesParser) parseCase(n ast.Node, today time.Time) (Case, error) {
	f := cp.f
	c := Case{File: f.name, Line: nodePos(n).line, Today: today}
	m, ok := cp.deref(n).(*ast.MappingNode)
	if !ok {
		return c, fileError(f, nodePos(n), "a case is a mapping with name, row (or rows) and expect")
	}
	start := mappingPos(m)
	c.Line = start.line
	hasExpect := false
	for _, kv := range m.Values {
		var err error
		switch keyName(kv) {
		case "name":
			s, _ := f.scalarOf(kv.Value)
			c.Name = s.value
		case "today":
			c.Today, err = caseDate(f, kv.Value)
		case "row":
			var r CaseRow
			r, err = cp.parseCaseRow(kv.Value)
			c.Rows = append(c.Rows, r)
		case "rows":
			seq, ok := cp.deref(kv.Value).(*ast.SequenceNode)
			if !ok {
				return c, fileError(f, nodePos(kv.Value), "rows: is a list of rows")
			}
			for _, it := range seq.Values {
				var r CaseRow
				if r, err = cp.parseCaseRow(it); err != nil {
					break
				}
				c.Rows = append(c.Rows, r)
			}
		case "expect":
			hasExpect = true
			c.Expect, err = cp.parseExpectations(kv.Value)
		default:
			err = fileError(f, nodePos(kv.Key), "unknown key %q (a case has name, today, row, rows and expect)", keyName(kv))
		}
		if err != nil {
			return c, err
		}
	}
	switch {
	case c.Name == "":
		return c, fileError(f, start, "case without a name")
	case len(c.Rows) == 0:
		return c, fileError(f, start, "case %q has no row", c.Name)
	case !hasExpect:
		return c, fileError(f, start, "case %q has no expect: (write expect: [] for a row without findings)", c.Name)
	}
	return c, nil
}

// parseCaseRow reads header: value pairs in the order written, merged rows
// (<<: *base) first; a later pair overrides an earlier one of the same
// header. A list value becomes the cell "a; b".
func (cp *casesParser) parseCaseRow(n ast.Node) (CaseRow, error) {
	var r CaseRow
	index := map[string]int{}
	var add func(n ast.Node, depth int) error
	add = func(n ast.Node, depth int) error {
		m, ok := cp.deref(n).(*ast.MappingNode)
		if !ok || depth > 20 {
			return fileError(cp.f, nodePos(n), "a row is a mapping of header: value")
		}
		for _, kv := range m.Values {
			if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
				bases := []ast.Node{kv.Value}
				if seq, ok := cp.deref(kv.Value).(*ast.SequenceNode); ok {
					bases = seq.Values
				}
				for _, b := range bases {
					if err := add(b, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			value, err := cp.cell(kv)
			if err != nil {
				return err
			}
			header := keyName(kv)
			if i, seen := index[header]; seen {
				r.Values[i] = value
				continue
			}
			index[header] = len(r.Headers)
			r.Headers = append(r.Headers, header)
			r.Values = append(r.Values, value)
		}
		return nil
	}
	err := add(n, 0)
	return r, err
}

// cell reads one cell's text: a scalar as written, or a list joined by "; ".
func (cp *casesParser) cell(kv *ast.MappingValueNode) (string, error) {
	v := cp.deref(kv.Value)
	if seq, ok := v.(*ast.SequenceNode); ok {
		var items []string
		for _, it := range seq.Values {
			s, _ := cp.f.scalarOf(cp.deref(it))
			items = append(items, s.value)
		}
		return strings.Join(items, "; "), nil
	}
	if s, ok := cp.f.scalarOf(v); ok {
		return s.value, nil
	}
	return "", fileError(cp.f, nodePos(kv.Value), "the cell %q holds one value or a list", keyName(kv))
}

func (cp *casesParser) parseExpectations(n ast.Node) ([]Expectation, error) {
	f := cp.f
	var out []Expectation
	seq, ok := cp.deref(n).(*ast.SequenceNode)
	if !ok {
		if _, null := n.(*ast.NullNode); null {
			return nil, nil
		}
		return nil, fileError(f, nodePos(n), "expect: is a list of findings ([] for none)")
	}
	for _, it := range seq.Values {
		m, ok := cp.deref(it).(*ast.MappingNode)
		if !ok {
			return nil, fileError(f, nodePos(it), "an expected finding is a mapping with rule, and optionally column, severity and row")
		}
		x := Expectation{Line: mappingPos(m).line}
		for _, kv := range m.Values {
			s, _ := f.scalarOf(kv.Value)
			v := strings.TrimSpace(s.value)
			switch keyName(kv) {
			case "rule":
				x.Rule = v
			case "column":
				c, ok := refbatch.ColumnByName(v)
				if !ok {
					return nil, fileError(f, s.start, "unknown column %q", v)
				}
				x.Column = c.String()
			case "severity":
				x.Severity = refbatch.Severity(v)
				if x.Severity != refbatch.SeverityError && x.Severity != refbatch.SeverityWarning {
					return nil, fileError(f, s.start, "unknown severity %q (error or warning)", v)
				}
			case "row":
				if _, err := fmt.Sscan(v, &x.Row); err != nil || x.Row < 1 {
					return nil, fileError(f, s.start, "row %q is not a row of the case (1, 2, …)", v)
				}
			default:
				return nil, fileError(f, nodePos(kv.Key), "unknown key %q (an expected finding has rule, column, severity and row)", keyName(kv))
			}
		}
		if x.Rule == "" {
			return nil, fileError(f, nodePos(it), "expected finding without a rule")
		}
		out = append(out, x)
	}
	return out, nil
}

// RowBuilder turns one row of headers and cell texts into a typed, resolved
// row, with the findings of parsing it, as the importer does; cmd passes the
// importer's, since rules does not import importer.
type RowBuilder func(headers, values []string) (*refbatch.Row, []refbatch.Finding, error)

// RunCases runs each case through the policy: its rows are built in order,
// numbered 1, 2, … within the case, evaluated, and checked for duplicates
// as one file.
func RunCases(p *Policy, cases []Case, build RowBuilder) []CaseResult {
	results := make([]CaseResult, 0, len(cases))
	for _, c := range cases {
		res := CaseResult{Case: c}
		e := p.NewEvaluator()
		dup := p.NewDuplicateCheck()
		if !c.Today.IsZero() {
			e.setToday(c.Today)
			dup.e.setToday(c.Today)
		}
		for i, cr := range c.Rows {
			row, found, err := build(cr.Headers, cr.Values)
			if err != nil {
				res.Err = fmt.Errorf("row %d: %w", i+1, err)
				break
			}
			row.Number = i + 1
			for j := range found {
				found[j].Row = row.Number
			}
			res.Findings = append(res.Findings, found...)
			res.Findings = e.Evaluate(res.Findings, row)
			res.Findings = dup.Check(res.Findings, row)
		}
		if res.Err == nil {
			res.Missing, res.Unexpected = match(c.Expect, res.Findings)
		}
		results = append(results, res)
	}
	return results
}

// match pairs expectations with findings, the most specific expectations
// first, and returns what is left on either side.
func match(expect []Expectation, findings []refbatch.Finding) (missing []Expectation, unexpected []refbatch.Finding) {
	order := make([]int, len(expect))
	for i := range order {
		order[i] = i
	}
	specificity := func(x Expectation) int {
		n := 0
		for _, set := range []bool{x.Column != "", x.Severity != "", x.Row > 0} {
			if set {
				n++
			}
		}
		return n
	}
	sort.SliceStable(order, func(a, b int) bool { return specificity(expect[order[a]]) > specificity(expect[order[b]]) })
	used := make([]bool, len(findings))
	for _, i := range order {
		x := expect[i]
		found := false
		for j, f := range findings {
			if used[j] || f.Rule != x.Rule ||
				x.Column != "" && f.Column != x.Column ||
				x.Severity != "" && f.Severity != x.Severity ||
				x.Row > 0 && f.Row != x.Row {
				continue
			}
			used[j], found = true, true
			break
		}
		if !found {
			missing = append(missing, x)
		}
	}
	for j, f := range findings {
		if !used[j] {
			unexpected = append(unexpected, f)
		}
	}
	sort.SliceStable(missing, func(a, b int) bool { return missing[a].Line < missing[b].Line })
	return missing, unexpected
}
