package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
)

// message is a rule's message: text with {{ expr }} placeholders that cite
// the row's values. It is rendered only for rules that fail.
type message []messagePart

type messagePart struct {
	text string
	expr *expression // nil for literal text
}

// compileMessage splits a message into text and compiled placeholders. Error
// offsets are rune offsets in the message.
func (c *exprCompiler) compileMessage(s string) (message, *exprError) {
	var m message
	rest, base := s, 0 // base: rune offset of rest in s
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				m = append(m, messagePart{text: rest})
			}
			return m, nil
		}
		if open > 0 {
			m = append(m, messagePart{text: rest[:open]})
		}
		inner := rest[open+2:]
		innerOffset := base + utf8.RuneCountInString(rest[:open+2])
		end := strings.Index(inner, "}}")
		if end < 0 {
			return nil, &exprError{offset: innerOffset - 2, msg: "{{ without a closing }}"}
		}
		src := inner[:end]
		lead := len(src) - len(strings.TrimLeft(src, " \t"))
		if strings.TrimSpace(src) == "" {
			return nil, &exprError{offset: innerOffset - 2, msg: "empty {{ }} placeholder"}
		}
		x, err := c.compile(strings.TrimSpace(src), wantAny, false)
		if err != nil {
			err.offset += innerOffset + utf8.RuneCountInString(src[:lead])
			return nil, err
		}
		m = append(m, messagePart{expr: x})
		rest = inner[end+2:]
		base = innerOffset + utf8.RuneCountInString(inner[:end+2])
	}
}

// render writes the message for one row; env is the row's boxed Env.
func (m message) render(machine *vm.VM, env any) string {
	var b strings.Builder
	for _, p := range m {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		out, err := machine.Run(p.expr.program, env)
		if err != nil {
			fmt.Fprintf(&b, "{{%s: %v}}", p.expr.source, err)
			continue
		}
		b.WriteString(formatValue(out))
	}
	return b.String()
}

// formatValue writes a value as a spreadsheet user reads it.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "n/a"
		}
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Format(time.DateOnly)
	case []string:
		return strings.Join(v, "; ")
	}
	return fmt.Sprint(v)
}
