package importer

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/refbatch/refbatch"
)

// maxMappingBytes bounds a mapping file; real ones are a few hundred bytes.
const maxMappingBytes = 1 << 20

// LoadMapping reads a --mapping file: YAML whose keys are canonical column
// names (as ColumnByName knows them) and whose values are a header or a list
// of headers that mean that column:
//
//	Deal Value: [Montant, Betrag]
//	Closing Date: Fecha de cierre
//
// Every problem is a *refbatch.InputError with the file and line: YAML
// syntax, an unknown column, a value that is not text, and one header
// given for two columns.
func LoadMapping(path string) (map[refbatch.Column][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: unwrapPathError(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMappingBytes+1))
	if err != nil {
		return nil, &refbatch.InputError{File: path, Err: err}
	}
	if len(data) > maxMappingBytes {
		return nil, &refbatch.InputError{File: path, Err: errors.New("is larger than 1 MiB; a mapping file lists a few headers")}
	}
	return parseMapping(path, data)
}

func parseMapping(path string, data []byte) (map[refbatch.Column][]string, error) {
	fail := func(n ast.Node, msg string) error {
		return &refbatch.InputError{File: path, Row: nodeLine(n), Err: errors.New(msg)}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			return nil, &refbatch.InputError{File: path, Row: ye.GetToken().Position.Line, Err: errors.New(ye.GetMessage())}
		}
		return nil, &refbatch.InputError{File: path, Err: err}
	}
	out := make(map[refbatch.Column][]string)
	if len(file.Docs) == 0 {
		return out, nil
	}
	if len(file.Docs) > 1 {
		return nil, fail(file.Docs[1], "holds more than one YAML document")
	}
	var pairs []*ast.MappingValueNode
	switch body := file.Docs[0].Body.(type) {
	case nil:
		return out, nil
	case *ast.NullNode:
		return out, nil
	case *ast.MappingNode:
		pairs = body.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{body}
	default:
		return nil, fail(body, "must map column names to headers, like \"Deal Value: [Amount EUR, Montant]\"")
	}
	owner := map[string]refbatch.Column{} // folded header → column, to catch a header given twice
	for _, p := range pairs {
		key, ok := scalarText(p.Key)
		if !ok {
			return nil, fail(p.Key, "a key must be a column name")
		}
		col, ok := refbatch.ColumnByName(key)
		if !ok {
			return nil, fail(p.Key, "unknown column "+quoteValue(key)+"; keys are canonical column names such as \"Deal Value\"")
		}
		var headers []ast.Node
		switch v := p.Value.(type) {
		case *ast.NullNode:
		case *ast.SequenceNode:
			headers = v.Values
		default:
			headers = []ast.Node{v}
		}
		for _, hn := range headers {
			h, ok := scalarText(hn)
			if !ok || strings.TrimSpace(h) == "" {
				return nil, fail(hn, "the headers of "+col.String()+" must be text")
			}
			k := refbatch.FoldKey(h)
			if prev, dup := owner[k]; dup && prev != col {
				return nil, fail(hn, "header "+quoteValue(h)+" is given for both "+prev.String()+" and "+col.String())
			}
			owner[k] = col
			out[col] = append(out[col], strings.TrimSpace(h))
		}
	}
	return out, nil
}

// scalarText returns the text of a scalar node: a string, or a number or
// bool written where a header was meant (a header "2024" is text to us).
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	}
	return "", false
}

func nodeLine(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}
