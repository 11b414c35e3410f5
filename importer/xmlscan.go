package importer

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small streaming XML tokenizer for the parts of a workbook
// the importer reads. It is not a general XML parser: it knows no DTDs
// (a DOCTYPE is refused) and no namespaces beyond stripping prefixes, but it
// is strict about well-formedness where encoding/xml-based readers let
// damage through: every start tag must be closed by its own end tag, the
// document must end with its root closed, an '&' must start a known entity,
// and a truncated document is an error. Tokens are slices of its buffer,
// valid until the next call; it allocates nothing per token.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	rerr error // the reader's error, io.EOF at the end

	kind      tokKind
	name      []byte // local name of a start or end tag
	attrs     []xmlAttr
	selfClose bool
	text      []byte // raw text (entities not decoded), or CDATA content
	cdata     bool

	stack     []byte // names of open elements, back to back
	offs      []int  // start of each open element's name in stack
	sawRoot   bool
	rootEnded bool
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

type xmlAttr struct {
	name  []byte // local name
	value []byte // raw value (entities not decoded)
}

// maxTagBytes bounds one tag (with its attributes) and so the scanner's
// buffer; real tags are well under a kilobyte.
const maxTagBytes = 1 << 20

// errXML is the kind of error the scanner returns for malformed XML; the
// message says what is wrong.
type xmlError struct{ msg string }

func (e *xmlError) Error() string { return e.msg }

func newXMLScanner(r io.Reader, size int) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, size)}
}

func (s *xmlScanner) malformed(msg string) error { return &xmlError{msg: msg} }

// fill reads more input, keeping buf[pos:end]. It reports false when no more
// input can come (s.rerr is set) or the buffer cannot grow.
func (s *xmlScanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxTagBytes {
			return false
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// readErr is the reader's error other than a clean end, or nil.
func (s *xmlScanner) readErr() error {
	if s.rerr == nil || s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// next reads the next token into s.kind and friends.
func (s *xmlScanner) next() error {
	for {
		if s.pos == s.end && !s.fill() {
			if err := s.readErr(); err != nil {
				return err
			}
			return s.atEOF()
		}
		if s.buf[s.pos] != '<' {
			return s.scanText()
		}
		if s.end-s.pos < 2 && !s.fill() {
			if err := s.readErr(); err != nil {
				return err
			}
			return s.malformed("the XML ends inside a tag (the file is truncated)")
		}
		if isNameStart(s.buf[s.pos+1]) {
			return s.startTag()
		}
		// Anything else: make sure it is whole in the buffer.
		n, err := s.tagLen()
		if err != nil {
			return err
		}
		tag := s.buf[s.pos : s.pos+n]
		s.pos += n
		switch {
		case len(tag) >= 4 && tag[1] == '!' && tag[2] == '-' && tag[3] == '-':
			continue // comment
		case tag[1] == '?':
			continue // processing instruction, <?xml …?> included
		case tag[1] == '!' && bytes.HasPrefix(tag, []byte("<![CDATA[")):
			if len(s.offs) == 0 {
				return s.malformed("text outside the root element")
			}
			s.kind, s.text, s.cdata = tokText, tag[9:len(tag)-3], true
			return nil
		case tag[1] == '!':
			return s.malformed("a DOCTYPE or other declaration, which workbooks do not have")
		case tag[1] == '/':
			return s.endTag(tag)
		default:
			return s.malformed("a '<' that does not start a tag (an unescaped '<' or damaged XML)")
		}
	}
}

func (s *xmlScanner) atEOF() error {
	if len(s.offs) > 0 {
		return s.malformed("the XML ends inside <" + string(s.stack[s.offs[len(s.offs)-1]:]) + "> (the file is truncated)")
	}
	if !s.sawRoot {
		return s.malformed("the XML is empty")
	}
	s.kind = tokEOF
	return nil
}

// scanText returns the text up to the next '<', in pieces no longer than
// the buffer when the text is huge (an '&' entity is never split).
func (s *xmlScanner) scanText() error {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
			return s.emitText(s.pos + i)
		}
		if s.end-s.pos >= len(s.buf)/2 {
			// A huge text: emit a piece, not splitting an entity.
			cut := s.end
			lo := max(s.pos, s.end-12)
			if j := bytes.LastIndexByte(s.buf[lo:s.end], '&'); j >= 0 && lo+j > s.pos {
				cut = lo + j
			}
			return s.emitText(cut)
		}
		if !s.fill() {
			if err := s.readErr(); err != nil {
				return err
			}
			if s.pos < s.end {
				return s.emitText(s.end)
			}
			return s.atEOF()
		}
	}
}

func (s *xmlScanner) emitText(end int) error {
	text := s.buf[s.pos:end]
	s.pos = end
	if len(s.offs) == 0 {
		if len(bytes.TrimSpace(text)) != 0 {
			return s.malformed("text outside the root element")
		}
		return s.next()
	}
	s.kind, s.text, s.cdata = tokText, text, false
	return nil
}

// tagLen returns the length of the tag at s.pos, filling the buffer as
// needed. Quoted attribute values may hold '>'.
func (s *xmlScanner) tagLen() (int, error) {
	for {
		b := s.buf[s.pos:s.end]
		if n, ok := tagEnd(b); ok {
			return n, nil
		}
		if !s.fill() {
			if err := s.readErr(); err != nil {
				return 0, err
			}
			if s.end-s.pos >= maxTagBytes {
				return 0, s.malformed("a tag longer than 1 MiB")
			}
			return 0, s.malformed("the XML ends inside a tag (the file is truncated)")
		}
	}
}

// tagEnd finds the end of the tag starting at b[0] == '<'.
func tagEnd(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	term := []byte(nil)
	switch {
	case b[1] == '?':
		term = []byte("?>")
	case b[1] == '!':
		if len(b) < 4 {
			return 0, false
		}
		if b[2] == '-' && b[3] == '-' {
			term = []byte("-->")
		} else if len(b) < 9 {
			if bytes.HasPrefix([]byte("<![CDATA["), b) {
				return 0, false
			}
		} else if bytes.HasPrefix(b, []byte("<![CDATA[")) {
			term = []byte("]]>")
		}
	}
	if term != nil {
		i := bytes.Index(b[2:], term)
		if i < 0 {
			return 0, false
		}
		return 2 + i + len(term), true
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; c {
		case '>':
			return i + 1, true
		case '"', '\'':
			j := bytes.IndexByte(b[i+1:], c)
			if j < 0 {
				return 0, false
			}
			i += j + 1
		case '<':
			return i, true // malformed; startTag reports it
		}
	}
	return 0, false
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName strips a namespace prefix.
func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// startTag reads the start tag at s.pos in one pass, filling the buffer
// and starting again when the tag is not whole in it.
func (s *xmlScanner) startTag() error {
	for {
		n, err := s.parseStart(s.buf[s.pos:s.end])
		if err != nil {
			return err
		}
		if n > 0 {
			s.pos += n
			return nil
		}
		if !s.fill() {
			if err := s.readErr(); err != nil {
				return err
			}
			if s.end-s.pos >= maxTagBytes {
				return s.malformed("a tag longer than 1 MiB")
			}
			return s.malformed("the XML ends inside a tag (the file is truncated)")
		}
	}
}

// parseStart parses a start tag at b[0] == '<'. It returns the tag's
// length, or 0 when b ends before the tag does.
func (s *xmlScanner) parseStart(b []byte) (int, error) {
	i := 2
	for i < len(b) && nameChar[b[i]] {
		i++
	}
	if i >= len(b) {
		return 0, nil
	}
	full := b[1:i]
	s.attrs = s.attrs[:0]
	self := false
	for {
		j := i
		for j < len(b) && isXMLSpace(b[j]) {
			j++
		}
		if j >= len(b) {
			return 0, nil
		}
		if c := b[j]; c == '>' {
			i = j + 1
			break
		} else if c == '/' {
			if j+1 >= len(b) {
				return 0, nil
			}
			if b[j+1] != '>' {
				return 0, s.malformed("a malformed tag <" + string(full) + ">")
			}
			i, self = j+2, true
			break
		}
		if j == i || !isNameStart(b[j]) {
			return 0, s.malformed("a malformed attribute in <" + string(full) + "> (damaged XML)")
		}
		k := j + 1
		for k < len(b) && nameChar[b[k]] {
			k++
		}
		name := b[j:k]
		for k < len(b) && isXMLSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return 0, nil
		}
		if b[k] != '=' {
			return 0, s.malformed("attribute " + string(name) + " of <" + string(full) + "> has no value (damaged XML)")
		}
		k++
		for k < len(b) && isXMLSpace(b[k]) {
			k++
		}
		if k >= len(b) {
			return 0, nil
		}
		q := b[k]
		if q != '"' && q != '\'' {
			return 0, s.malformed("attribute " + string(name) + " of <" + string(full) + "> is not quoted (damaged XML)")
		}
		e := bytes.IndexByte(b[k+1:], q)
		if e < 0 {
			if len(b) >= maxTagBytes {
				return 0, s.malformed("a tag longer than 1 MiB")
			}
			return 0, nil
		}
		value := b[k+1 : k+1+e]
		if bytes.IndexByte(value, '<') >= 0 {
			return 0, s.malformed("a '<' inside attribute " + string(name) + " (damaged XML)")
		}
		s.attrs = append(s.attrs, xmlAttr{name: localName(name), value: value})
		i = k + 1 + e + 1
	}
	if len(s.offs) == 0 {
		if s.rootEnded {
			return 0, s.malformed("a second root element <" + string(full) + ">")
		}
		s.sawRoot = true
	}
	s.kind, s.name, s.selfClose = tokStart, localName(full), self
	if self {
		if len(s.offs) == 0 {
			s.rootEnded = true
		}
		return i, nil
	}
	if len(s.offs) >= 256 {
		return 0, s.malformed("elements nested more than 256 deep")
	}
	s.offs = append(s.offs, len(s.stack))
	s.stack = append(s.stack, full...)
	return i, nil
}

// nameChar marks the bytes of XML names (any byte ≥ 0x80 is taken as part
// of a multi-byte name character).
var nameChar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isNameChar(byte(c))
	}
	return t
}()

func (s *xmlScanner) endTag(tag []byte) error {
	body := tag[2 : len(tag)-1]
	for len(body) > 0 && isXMLSpace(body[len(body)-1]) {
		body = body[:len(body)-1]
	}
	if tag[len(tag)-1] != '>' || len(body) == 0 || !isNameStart(body[0]) {
		return s.malformed("a malformed end tag")
	}
	if len(s.offs) == 0 {
		return s.malformed("an end tag </" + string(body) + "> without a start tag")
	}
	top := s.offs[len(s.offs)-1]
	if !bytes.Equal(s.stack[top:], body) {
		return s.malformed("</" + string(body) + "> closes <" + string(s.stack[top:]) + "> (damaged XML)")
	}
	s.offs = s.offs[:len(s.offs)-1]
	s.stack = s.stack[:top]
	if len(s.offs) == 0 {
		s.rootEnded = true
	}
	s.kind, s.name = tokEnd, localName(body)
	return nil
}

// fastValue reads "<v>text</v></c>" when it follows a cell's start tag
// whole in the buffer, as Excel writes nearly every cell, without a token
// per tag. It returns the raw text; ok is false (and nothing is consumed)
// for anything else, which the caller reads token by token.
func (s *xmlScanner) fastValue() (raw []byte, ok bool) {
	b := s.buf[s.pos:s.end]
	if len(b) < 11 || b[0] != '<' || b[1] != 'v' || b[2] != '>' || len(s.offs) == 0 {
		return nil, false
	}
	i := bytes.IndexByte(b[3:], '<')
	if i < 0 {
		return nil, false
	}
	rest := b[3+i:]
	if len(rest) < 8 || string(rest[:8]) != "</v></c>" {
		return nil, false
	}
	top := s.offs[len(s.offs)-1]
	if string(s.stack[top:]) != "c" {
		return nil, false
	}
	s.offs = s.offs[:len(s.offs)-1]
	s.stack = s.stack[:top]
	s.pos += 3 + i + 8
	s.kind, s.name = tokEnd, []byte("c")
	return b[3 : 3+i], true
}

// depth is the number of open elements (after a start tag, including it).
func (s *xmlScanner) depth() int { return len(s.offs) }

// attr returns the raw value of the attribute with local name n.
func (s *xmlScanner) attr(n string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) == n {
			return a.value, true
		}
	}
	return nil, false
}

// skip reads up to and including the end of the element just started.
func (s *xmlScanner) skip() error {
	if s.kind != tokStart || s.selfClose {
		return nil
	}
	d := s.depth()
	for {
		if err := s.next(); err != nil {
			return err
		}
		if s.kind == tokEnd && s.depth() < d {
			return nil
		}
	}
}

// appendText decodes raw XML text (or CDATA when cdata) onto dst: entities
// and Excel's _xHHHH_ escapes of control characters.
func appendText(dst, raw []byte, cdata bool) ([]byte, error) {
	if cdata {
		return append(dst, raw...), nil
	}
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return append(dst, raw...), nil
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		semi := bytes.IndexByte(raw[:min(len(raw), 12)], ';')
		if semi < 0 {
			return dst, errors.New("an '&' that is not an entity (an unescaped ampersand: damaged XML)")
		}
		ent := raw[1:semi]
		raw = raw[semi+1:]
		switch string(ent) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return dst, errors.New("unknown entity &" + string(ent) + ";")
			}
			var v uint64
			var err error
			if ent[1] == 'x' || ent[1] == 'X' {
				v, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				v, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			if err != nil || v == 0 || v > utf8.MaxRune {
				return dst, errors.New("bad character reference &" + string(ent) + ";")
			}
			dst = utf8.AppendRune(dst, rune(v))
		}
	}
}

// decodeExcelEscapes replaces Excel's _xHHHH_ escapes (how it stores
// control characters such as a carriage return) in place.
func decodeExcelEscapes(b []byte) []byte {
	i := bytes.Index(b, []byte("_x"))
	if i < 0 {
		return b
	}
	out := b[:i]
	for i < len(b) {
		if b[i] == '_' && i+7 <= len(b) && b[i+1] == 'x' && b[i+6] == '_' && isHex4(b[i+2:i+6]) {
			v, _ := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
			out = utf8.AppendRune(out, rune(v))
			i += 7
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// attrText decodes an attribute value.
func attrText(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), nil
	}
	b, err := appendText(nil, raw, false)
	return string(b), err
}
