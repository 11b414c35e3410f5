package rules

import (
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// position is a 1-based line and column in a rules file.
type position struct{ line, col int }

// sourceFile is a rules or cases file kept as runes, so that a rune offset in
// a scalar's value can be traced back to where it is written.
type sourceFile struct {
	name       string
	data       []byte
	runes      []rune
	lineStarts []int // rune index where each line (0-based) starts
}

func newSourceFile(name string, data []byte) *sourceFile {
	f := &sourceFile{name: name, data: data, runes: []rune(string(data)), lineStarts: []int{0}}
	for i, r := range f.runes {
		if r == '\n' {
			f.lineStarts = append(f.lineStarts, i+1)
		}
	}
	return f
}

func (f *sourceFile) index(p position) int {
	if p.line < 1 || p.line > len(f.lineStarts) {
		return -1
	}
	return f.lineStarts[p.line-1] + p.col - 1
}

func (f *sourceFile) position(index int) position {
	// The line is the last whose start is at or before index.
	line := sort.Search(len(f.lineStarts), func(i int) bool { return f.lineStarts[i] > index })
	return position{line, index - f.lineStarts[line-1] + 1}
}

// scalar is a YAML scalar's value with the file position of each of its
// runes, so that errors inside an expression or a message can point at the
// character in the file.
type scalar struct {
	value string
	start position   // where the value begins (after a quote or block indicator)
	at    []position // at[i] is the position of rune i of value; at[len] is just past it
}

// pos returns the file position of rune offset i of the value.
func (s *scalar) pos(i int) position {
	if i >= 0 && i < len(s.at) {
		return s.at[i]
	}
	return s.start
}

// scalarOf reads a scalar node. ok is false for mappings, sequences and
// other non-scalar nodes.
func (f *sourceFile) scalarOf(n ast.Node) (s scalar, ok bool) {
	var tk *token.Token
	var quote rune
	block := false
	switch n := n.(type) {
	case *ast.StringNode:
		tk = n.Token
		s.value = n.Value
		switch tk.Type {
		case token.DoubleQuoteType:
			quote = '"'
		case token.SingleQuoteType:
			quote = '\''
		}
	case *ast.LiteralNode:
		tk = n.Start
		s.value = n.Value.Value
		block = true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk = n.GetToken()
		s.value = tk.Value
	case *ast.NullNode:
		tk = n.GetToken()
	default:
		return s, false
	}
	if tk == nil || tk.Position == nil {
		return s, true
	}
	s.start = position{tk.Position.Line, tk.Position.Column}
	start := f.index(s.start)
	switch {
	case block:
		// The content starts on the line after the indicator.
		if tk.Position.Line < len(f.lineStarts) {
			start = f.lineStarts[tk.Position.Line]
			for start < len(f.runes) && (f.runes[start] == ' ' || f.runes[start] == '\t') {
				start++
			}
		}
	case quote != 0:
		start++
	}
	if start < 0 || start > len(f.runes) {
		return s, true
	}
	s.start = f.position(start)
	indent := -1 // a flow scalar's continuation lines may be indented anyhow
	if block {
		indent = s.start.col - 1
	}
	s.at = f.align(start, s.value, quote, indent)
	return s, true
}

// align walks the file from rune index start alongside the decoded value and
// returns the file position of every rune of the value. It understands the
// escapes of quoted scalars and the folding of line breaks; where the two
// drift apart it stops, and positions from there on fall back to the start.
// indent is a block scalar's indentation, or -1 for a flow scalar.
func (f *sourceFile) align(start int, value string, quote rune, indent int) []position {
	v := []rune(value)
	at := make([]position, 0, len(v)+1)
	i := start
	for j := 0; j < len(v) && i < len(f.runes); {
		r := f.runes[i]
		switch {
		case quote == '"' && r == '\\' && i+1 < len(f.runes):
			at = append(at, f.position(i))
			j++
			switch f.runes[i+1] {
			case 'x':
				i += 4
			case 'u':
				i += 6
			case 'U':
				i += 10
			default:
				i += 2
			}
		case quote == '\'' && r == '\'' && i+1 < len(f.runes) && f.runes[i+1] == '\'':
			at = append(at, f.position(i))
			j++
			i += 2
		case r == '\n' || r == '\r':
			// A line break: in the value a space or a newline (folded or
			// literal), then the next line's indentation is not part of it.
			if v[j] == ' ' || v[j] == '\n' {
				at = append(at, f.position(i))
				j++
			}
			i++
			for skipped := 0; i < len(f.runes) && (indent < 0 || skipped < indent) &&
				(f.runes[i] == ' ' || f.runes[i] == '\t' || f.runes[i] == '\r'); skipped++ {
				i++
			}
		case r == v[j]:
			at = append(at, f.position(i))
			i++
			j++
		default:
			return at
		}
	}
	if len(at) == len(v) {
		at = append(at, f.position(i))
	}
	return at
}

// keyName is a mapping key's text.
func keyName(kv *ast.MappingValueNode) string {
	return strings.TrimSpace(kv.Key.GetToken().Value)
}

// nodePos is where a node starts in the file.
func nodePos(n ast.Node) position {
	if n == nil {
		return position{}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

// mappingPos is where a mapping starts: its first key, or the node itself.
func mappingPos(m *ast.MappingNode) position {
	if len(m.Values) > 0 {
		return nodePos(m.Values[0].Key)
	}
	return nodePos(m)
}
