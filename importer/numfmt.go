package importer

import (
	"strings"

	"github.com/refbatch/refbatch"
)

// cellFormat is what a cell style says about the cell's number: whether it
// is a date and the number format code a report should write it with.
type cellFormat struct {
	date bool
	code string // "" for General
}

// builtinFormats are the number formats Excel does not write into
// styles.xml (ECMA-376 §18.8.30), with the codes Excel shows for them in
// the en-US locale.
var builtinFormats = map[int]string{
	1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
	5: `"$"#,##0_);\("$"#,##0\)`, 6: `"$"#,##0_);[Red]\("$"#,##0\)`,
	7: `"$"#,##0.00_);\("$"#,##0.00\)`, 8: `"$"#,##0.00_);[Red]\("$"#,##0.00\)`,
	9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
	14: "m/d/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
	18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yyyy h:mm",
	37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
	41: `_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)`,
	42: `_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)`,
	43: `_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)`,
	44: `_("$"* #,##0.00_);_("$"* \(#,##0.00\);_("$"* "-"??_);_(@_)`,
	45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0", 48: "##0.0E+0", 49: "@",
}

// builtinFormat returns the format of a built-in numFmtId. The East Asian
// date ids (27-36, 50-58) are dates whose code depends on the locale; they
// are given an unambiguous one.
func builtinFormat(id int) cellFormat {
	if code, ok := builtinFormats[id]; ok {
		return cellFormat{date: isDateFormat(code), code: code}
	}
	if id >= 27 && id <= 36 || id >= 50 && id <= 58 {
		return cellFormat{date: true, code: "yyyy-mm-dd"}
	}
	return cellFormat{}
}

// isDateFormat reports whether a number format code shows a date or time:
// it has a y, m, d, h or s outside quoted text, escapes and [colour]
// brackets ([h], [mm] and [ss] elapsed times count). Only the first section
// (positive numbers) is looked at.
func isDateFormat(code string) bool {
	if strings.EqualFold(code, "General") || code == "" || code == "@" {
		return false
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			return false
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				return false
			}
		case '\\', '_', '*':
			i++ // the next character is literal or padding
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				return true
			}
			i += j
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			return true
		case 'e', 'E':
			// 0.00E+00 is scientific, and "General" was handled above.
		}
	}
	return false
}

// kindOf returns the cell kind of a number shown with format f.
func (f cellFormat) kindOf() refbatch.CellKind {
	if f.date {
		return refbatch.CellDate
	}
	return refbatch.CellNumber
}
