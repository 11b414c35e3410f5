package importer

import "bytes"

// contentKind is what the first bytes of a file say it is, whatever its
// extension claims.
type contentKind int

const (
	contentText   contentKind = iota // CSV or other UTF-8 text
	contentZip                       // a zip archive: an .xlsx workbook
	contentOLE                       // an OLE compound file: legacy .xls or encrypted workbook
	contentUTF16                     // text with a UTF-16 byte-order mark
	contentMarkup                    // HTML or XML text
	contentBinary                    // anything else with NUL bytes
)

func (k contentKind) String() string {
	switch k {
	case contentZip:
		return "a zip archive"
	case contentOLE:
		return "a legacy .xls or encrypted Office file"
	case contentUTF16:
		return "UTF-16 text (save it as \"CSV UTF-8\")"
	case contentMarkup:
		return "an HTML or XML page (a web export?)"
	case contentBinary:
		return "binary data"
	}
	return "plain text (CSV?)"
}

var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06")
	oleMagic      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniffContent classifies a file by its first bytes.
func sniffContent(head []byte) contentKind {
	switch {
	case bytes.HasPrefix(head, zipMagic) || bytes.HasPrefix(head, zipEmptyMagic):
		return contentZip
	case bytes.HasPrefix(head, oleMagic):
		return contentOLE
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return contentUTF16
	case bytes.IndexByte(head, 0) >= 0:
		return contentBinary
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(t) > 0 && t[0] == '<' {
		low := bytes.ToLower(t[:min(len(t), 64)])
		for _, p := range []string{"<!doctype html", "<html", "<?xml", "<table"} {
			if bytes.HasPrefix(low, []byte(p)) {
				return contentMarkup
			}
		}
	}
	return contentText
}
