package rules

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"

	"github.com/refbatch/refbatch"
)

// message is a rule's message: text with {{ expr }} placeholders that cite
// the row's values. It is rendered only for rules that fail.
type message []messagePart

type messagePart struct {
	text string
	expr *expression     // nil for literal text
	col  refbatch.Column // a column named in the text: written as the file's header
}

// columnsByLength lists the canonical column names, longest first, so that
// "Contact First Name" is found before "Name".
var columnsByLength = func() []refbatch.Column {
	cols := refbatch.Columns()
	sort.SliceStable(cols, func(i, j int) bool { return len(cols[i].String()) > len(cols[j].String()) })
	return cols
}()

// splitColumns splits literal message text at the canonical column names it
// mentions (whole words), so that a message names a column by the header
// the user wrote: "Close Date", not "Closing Date".
func splitColumns(text string) message {
	var m message
	start := 0
	for i := 0; i < len(text); i++ {
		if i > 0 && isWordByte(text[i-1]) || !isWordByte(text[i]) {
			continue
		}
		for _, c := range columnsByLength {
			name := c.String()
			if strings.HasPrefix(text[i:], name) && (i+len(name) == len(text) || !isWordByte(text[i+len(name)])) {
				if i > start {
					m = append(m, messagePart{text: text[start:i]})
				}
				m = append(m, messagePart{text: name, col: c})
				i += len(name) - 1
				start = i + 1
				break
			}
		}
	}
	if start < len(text) {
		m = append(m, messagePart{text: text[start:]})
	}
	return m
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
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
				m = append(m, splitColumns(rest)...)
			}
			return m, nil
		}
		if open > 0 {
			m = append(m, splitColumns(rest[:open])...)
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

// render writes the message for one row; env is the row's boxed Env. A
// column named in the text is written as the file's header for it.
func (m message) render(machine *vm.VM, env any, h *refbatch.Header) string {
	var b strings.Builder
	for _, p := range m {
		if p.expr == nil {
			if p.col.Valid() && h != nil {
				if w := h.Written(p.col); w != "" && h.Index[p.col] >= 0 && h.Columns[h.Index[p.col]] == p.col {
					b.WriteString(w)
					continue
				}
			}
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
