package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"
	"github.com/refbatch/refbatch"
)

// expression is one compiled rule expression (a when, check or unique key,
// or a message placeholder).
type expression struct {
	source  string
	program *vm.Program
	// test decides the whole expression in Go; nil when it needs the VM.
	test test
	// guards are top-level && parts of a VM expression that are decided in
	// Go: when one is false the expression is false without running it.
	guards []test
	// key reads a unique key straight from the row when it is a text column.
	key func(*scope) string
	// reads are the columns whose values the expression uses.
	reads refbatch.ColumnSet
	// filled are columns the expression is false without: its top-level
	// && parts include filled("…") of each. A bit test rules them out
	// before any closure runs, which settles most rules of most rows.
	filled refbatch.ColumnSet
	// facts are the policy facts (see exprCompiler.facts) among a when's
	// top-level && parts: all must hold.
	facts uint64
	// exact: the expression is nothing but its filled and facts parts, so
	// the two bit tests decide it.
	exact bool
}

// exprError is a compile error at a rune offset of an expression.
type exprError struct {
	offset int
	msg    string
}

func (e *exprError) Error() string { return e.msg }

// exprCompiler compiles rule expressions against the rule environment and
// the functions bound to one set of tables.
type exprCompiler struct {
	options []expr.Option
	lower   lowerer
	// facts are lowered tests that whens share, such as Action == "create"
	// or RegisterDeal: an Evaluator computes each once per row, and a rule
	// whose when is made of facts and filled() is decided by bit tests.
	facts     []test
	factIndex map[string]int
}

// maxFacts is how many facts fit the bit set a row's facts are kept in.
const maxFacts = 64

func newExprCompiler(t *Tables) *exprCompiler {
	fns := functions(t)
	c := &exprCompiler{options: exprOptions(fns), lower: lowerer{tables: t, funcs: map[string]function{}}, factIndex: map[string]int{}}
	for _, f := range fns {
		c.lower.funcs[f.name] = f
	}
	return c
}

// Result kinds an expression must have.
const (
	wantBool = reflect.Bool
	wantText = reflect.String
	wantAny  = reflect.Interface
)

// compile parses, type-checks, lowers and compiles one expression. It does
// what expr.Compile does, with a look at the checked tree before the
// optimizer rewrites it. A when's parts may become shared facts.
func (c *exprCompiler) compile(source string, want reflect.Kind, when bool) (*expression, *exprError) {
	cfg := conf.CreateNew()
	for _, op := range c.options {
		op(cfg)
	}
	p := &columnPatcher{tables: c.lower.tables}
	expr.Patch(p)(cfg)
	switch want {
	case wantBool:
		expr.AsBool()(cfg)
	case wantText:
		expr.AsKind(reflect.String)(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()

	tree, err := checker.ParseCheck(source, cfg)
	if len(p.errs) > 0 {
		return nil, &p.errs[0]
	}
	if err != nil {
		return nil, exprErrorOf(err)
	}
	x := &expression{source: source, reads: reads(tree.Node)}
	switch want {
	case wantBool:
		x.test = c.lower.boolean(tree.Node)
		x.exact = true
		for _, part := range conjuncts(tree.Node) {
			if col, ok := filledFlag(part); ok {
				x.filled = x.filled.With(col)
				continue
			}
			t := c.lower.boolean(part)
			if t == nil {
				x.exact = false
				continue
			}
			if when {
				if i, ok := c.fact(part.String(), t); ok {
					x.facts |= 1 << i
					continue
				}
			}
			x.exact = false
			if x.test == nil {
				x.guards = append(x.guards, t)
			}
		}
	case wantText:
		x.key = c.lower.text(tree.Node)
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, exprErrorOf(err)
	}
	if x.program, err = compiler.Compile(tree, cfg); err != nil {
		return nil, exprErrorOf(err)
	}
	return x, nil
}

// fact interns a lowered when part by its source; false when the set is full.
func (c *exprCompiler) fact(key string, t test) (int, bool) {
	if i, ok := c.factIndex[key]; ok {
		return i, true
	}
	if len(c.facts) == maxFacts {
		return 0, false
	}
	c.factIndex[key] = len(c.facts)
	c.facts = append(c.facts, t)
	return len(c.facts) - 1, true
}

func exprErrorOf(err error) *exprError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &exprError{offset: fe.From, msg: fe.Message}
	}
	return &exprError{msg: err.Error()}
}

// columnPatcher rewrites filled("Deal Value") into Filled.DealValue (and
// invalid(…) into Invalid.…), so that a column's name is resolved once, at
// compile time, and checks that known() names a table. Its errors point at
// the offending argument.
type columnPatcher struct {
	tables *Tables
	errs   []exprError
}

func (p *columnPatcher) errorf(n ast.Node, format string, args ...any) {
	p.errs = append(p.errs, exprError{offset: n.Location().From, msg: fmt.Sprintf(format, args...)})
}

func (p *columnPatcher) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || len(call.Arguments) == 0 {
		return
	}
	switch id.Value {
	case "filled", "invalid":
		if len(call.Arguments) != 1 {
			return // the checker reports the argument count
		}
		name, ok := call.Arguments[0].(*ast.StringNode)
		if !ok {
			p.errorf(call.Arguments[0], "%s %v, e.g. %s(\"Deal Value\")", id.Value, errColumnLiteral, id.Value)
			return
		}
		col, ok := refbatch.ColumnByName(name.Value)
		if !ok {
			p.errorf(name, "unknown column %q", name.Value)
			return
		}
		flags := "Filled"
		if id.Value == "invalid" {
			flags = "Invalid"
		}
		ast.Patch(node, &ast.MemberNode{
			Node:     &ast.IdentifierNode{Value: flags},
			Property: &ast.StringNode{Value: col.Info().Field},
		})
	case "known":
		table, ok := call.Arguments[0].(*ast.StringNode)
		if !ok {
			p.errorf(call.Arguments[0], `known takes a table name in quotes, e.g. known("currencies", Currency)`)
			return
		}
		if _, ok := p.tables.vocabs[table.Value]; !ok {
			p.errorf(table, "unknown table %q; the tables are %s", table.Value, strings.Join(vocabularyNames(p.tables), ", "))
		}
	}
}

// vocabularyNames lists the tables known() accepts.
func vocabularyNames(t *Tables) []string {
	var names []string
	for _, n := range append(TableNames(), TableActions, TableDealTypes, TableReferralTypes, TableQualifications, TableStatuses, TableSubstatuses) {
		if _, ok := t.vocabs[n]; ok {
			names = append(names, n)
		}
	}
	return names
}
