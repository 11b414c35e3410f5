package rules

import (
	"slices"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/refbatch/refbatch"
)

// A test is a row predicate decided in Go, without entering expr's VM.
//
// What rules ask is mostly simple: is a cell filled, does a text column equal
// a literal, is a value in a table, is a number positive, is a date past.
// Running a VM program for each costs a program run, and boxing the row's
// environment, per rule; on a million rows that is most of the validation
// time. So the compiler also lowers each checked expression made only of such
// parts into Go closures over the row, and the VM runs only the rest (and
// the messages of failing rules). The lowered form computes what the
// compiled program computes; TestLoweredMatchesVM checks that on every
// built-in rule.
type test func(s *scope) bool

// scope is what a test reads: the row and the date rules see as Today.
type scope struct {
	row   *refbatch.Row
	today time.Time
}

// lowerer turns checked expr ASTs into tests.
type lowerer struct {
	funcs  map[string]function
	tables *Tables
}

// fieldColumn maps a Row field name (the rule environment's name for a
// column) to its column.
var fieldColumn = func() map[string]refbatch.Column {
	m := make(map[string]refbatch.Column, refbatch.NumColumns)
	for _, c := range refbatch.Columns() {
		m[c.Info().Field] = c
	}
	return m
}()

// conjuncts splits a && b && c into its parts.
func conjuncts(n ast.Node) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return append(conjuncts(b.Left), conjuncts(b.Right)...)
	}
	return []ast.Node{n}
}

// filledFlag recognises Filled.X, what filled("…") becomes.
func filledFlag(n ast.Node) (refbatch.Column, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional {
		return 0, false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok || !ok2 || id.Value != "Filled" {
		return 0, false
	}
	c, ok := fieldColumn[prop.Value]
	return c, ok
}

// boolean lowers a boolean expression, or returns nil when some part of it
// needs the VM.
func (l *lowerer) boolean(n ast.Node) test {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*scope) bool { return v }

	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil
		}
		if t := l.boolean(n.Node); t != nil {
			return func(s *scope) bool { return !t(s) }
		}

	case *ast.BinaryNode:
		return l.binary(n)

	case *ast.MemberNode:
		// Filled.X and Invalid.X (what filled("…") and invalid("…") become).
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, ok2 := n.Property.(*ast.StringNode)
		if !ok || !ok2 || n.Optional {
			return nil
		}
		c, known := fieldColumn[prop.Value]
		if !known {
			return nil
		}
		switch id.Value {
		case "Filled":
			return func(s *scope) bool { return s.row.Filled.Has(c) }
		case "Invalid":
			return func(s *scope) bool { return s.row.Invalid.Has(c) }
		}

	case *ast.IdentifierNode:
		if get := rowBool(n.Value); get != nil {
			return get
		}

	case *ast.CallNode:
		return l.predicate(n)
	}
	return nil
}

func (l *lowerer) binary(n *ast.BinaryNode) test {
	switch n.Operator {
	case "&&", "and", "||", "or":
		a, b := l.boolean(n.Left), l.boolean(n.Right)
		if a == nil || b == nil {
			return nil
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(s *scope) bool { return a(s) && b(s) }
		}
		return func(s *scope) bool { return a(s) || b(s) }

	case "in", "not in":
		a := l.text(n.Left)
		arr, ok := n.Right.(*ast.ArrayNode)
		if a == nil || !ok {
			return nil
		}
		var list []string
		for _, e := range arr.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return nil
			}
			list = append(list, s.Value)
		}
		want := n.Operator == "in"
		return func(s *scope) bool { return slices.Contains(list, a(s)) == want }

	case "==", "!=", "<", "<=", ">", ">=":
		op := n.Operator
		if a, b := l.text(n.Left), l.text(n.Right); a != nil && b != nil {
			if op != "==" && op != "!=" {
				return nil
			}
			want := op == "=="
			// A column against a literal, the usual case, in one call.
			if lit, ok := n.Right.(*ast.StringNode); ok {
				v := lit.Value
				return func(s *scope) bool { return (a(s) == v) == want }
			}
			if lit, ok := n.Left.(*ast.StringNode); ok {
				v := lit.Value
				return func(s *scope) bool { return (b(s) == v) == want }
			}
			return func(s *scope) bool { return (a(s) == b(s)) == want }
		}
		if a, b := l.number(n.Left), l.number(n.Right); a != nil && b != nil {
			return compare(op, a, b, func(x, y float64) int {
				switch {
				case x < y:
					return -1
				case x > y:
					return 1
				case x == y:
					return 0
				}
				return 2 // NaN: every comparison but != is false
			})
		}
		if a, b := l.date(n.Left), l.date(n.Right); a != nil && b != nil {
			return compare(op, a, b, func(x, y time.Time) int {
				// As expr compares times: Before, After, Equal.
				switch {
				case x.Before(y):
					return -1
				case x.After(y):
					return 1
				}
				return 0
			})
		}
	}
	return nil
}

// compare builds a comparison test from a three-way comparison that returns
// 2 for unordered operands.
func compare[T any](op string, a, b func(*scope) T, cmp func(x, y T) int) test {
	switch op {
	case "==":
		return func(s *scope) bool { return cmp(a(s), b(s)) == 0 }
	case "!=":
		return func(s *scope) bool { return cmp(a(s), b(s)) != 0 }
	case "<":
		return func(s *scope) bool { return cmp(a(s), b(s)) == -1 }
	case "<=":
		return func(s *scope) bool { c := cmp(a(s), b(s)); return c == -1 || c == 0 }
	case ">":
		return func(s *scope) bool { return cmp(a(s), b(s)) == 1 }
	case ">=":
		return func(s *scope) bool { c := cmp(a(s), b(s)); return c == 1 || c == 0 }
	}
	return nil
}

// predicate lowers a call of one of the rules' boolean functions.
func (l *lowerer) predicate(n *ast.CallNode) test {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return nil
	}
	fn, ok := l.funcs[id.Value]
	if !ok {
		return nil
	}
	switch {
	case fn.name == "known" && len(n.Arguments) == 2:
		// The table is a literal (the compiler insists): look it up now.
		table, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return nil
		}
		v, ok := l.tables.vocabs[table.Value]
		if b := l.text(n.Arguments[1]); ok && b != nil {
			return func(s *scope) bool { return v.has(b(s)) }
		}
	case fn.text1 != nil && len(n.Arguments) == 1:
		if a := l.text(n.Arguments[0]); a != nil {
			f := fn.text1
			return func(s *scope) bool { return f(a(s)) }
		}
	case fn.text2 != nil && len(n.Arguments) == 2:
		if a, b := l.text(n.Arguments[0]), l.text(n.Arguments[1]); a != nil && b != nil {
			f := fn.text2
			return func(s *scope) bool { return f(a(s), b(s)) }
		}
	case fn.list1 != nil && len(n.Arguments) == 1:
		if a := l.list(n.Arguments[0]); a != nil {
			f := fn.list1
			return func(s *scope) bool { return f(a(s)) }
		}
	}
	return nil
}

// text lowers a string literal or a text column.
func (l *lowerer) text(n ast.Node) func(*scope) string {
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(*scope) string { return v }
	case *ast.IdentifierNode:
		if get := rowText(n.Value); get != nil {
			return get
		}
	}
	return nil
}

// number lowers a number literal, a number column, len(List) and
// usd(amount, currency, date).
func (l *lowerer) number(n ast.Node) func(*scope) float64 {
	switch n := n.(type) {
	case *ast.IntegerNode:
		v := float64(n.Value)
		return func(*scope) float64 { return v }
	case *ast.FloatNode:
		v := n.Value
		return func(*scope) float64 { return v }
	case *ast.UnaryNode:
		if a := l.number(n.Node); a != nil && n.Operator == "-" {
			return func(s *scope) float64 { return -a(s) }
		}
	case *ast.IdentifierNode:
		if get := rowNumber(n.Value); get != nil {
			return get
		}
	case *ast.BuiltinNode:
		if n.Name == "len" && len(n.Arguments) == 1 {
			if get := l.list(n.Arguments[0]); get != nil {
				return func(s *scope) float64 { return float64(len(get(s))) }
			}
		}
	case *ast.BinaryNode:
		a, b := l.number(n.Left), l.number(n.Right)
		if a == nil || b == nil {
			return nil
		}
		switch n.Operator {
		case "+":
			return func(s *scope) float64 { return a(s) + b(s) }
		case "-":
			return func(s *scope) float64 { return a(s) - b(s) }
		case "*":
			return func(s *scope) float64 { return a(s) * b(s) }
		case "/":
			return func(s *scope) float64 { return a(s) / b(s) }
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil
		}
		switch {
		case id.Value == "usd" && len(n.Arguments) == 3:
			amount, currency, date := l.number(n.Arguments[0]), l.text(n.Arguments[1]), l.date(n.Arguments[2])
			if amount != nil && currency != nil && date != nil {
				t := l.tables
				return func(s *scope) float64 { return t.USD(amount(s), currency(s), date(s)) }
			}
		case id.Value == "contractYears" && len(n.Arguments) == 2:
			start, end := l.date(n.Arguments[0]), l.date(n.Arguments[1])
			if start != nil && end != nil {
				return func(s *scope) float64 { return contractYears(start(s), end(s)) }
			}
		}
	}
	return nil
}

// date lowers a date column, Today, or addDays of one of them.
func (l *lowerer) date(n ast.Node) func(*scope) time.Time {
	if call, ok := n.(*ast.CallNode); ok {
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "addDays" || len(call.Arguments) != 2 {
			return nil
		}
		base, days := l.date(call.Arguments[0]), l.number(call.Arguments[1])
		if base == nil || days == nil {
			return nil
		}
		return func(s *scope) time.Time { return addDays(base(s), int(days(s))) }
	}
	id, ok := n.(*ast.IdentifierNode)
	if !ok {
		return nil
	}
	if id.Value == "Today" {
		return func(s *scope) time.Time { return s.today }
	}
	if get := rowDate(id.Value); get != nil {
		return get
	}
	return nil
}

func (l *lowerer) list(n ast.Node) func(*scope) []string {
	if id, ok := n.(*ast.IdentifierNode); ok {
		if get := rowList(id.Value); get != nil {
			return get
		}
	}
	return nil
}

// reads lists the columns an expression reads the value of (not those it
// only asks filled or invalid about).
func reads(n ast.Node) refbatch.ColumnSet {
	var v readsVisitor
	ast.Walk(&n, &v)
	return v.set
}

type readsVisitor struct{ set refbatch.ColumnSet }

func (v *readsVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		if c, ok := fieldColumn[id.Value]; ok {
			v.set = v.set.With(c)
		}
	}
}
