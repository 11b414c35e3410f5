package importer

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The value parsers below run once per cell of a million-row file, so they
// scan bytes by hand: no regexp, no fmt, no allocation on success. Each
// returns a reason ("" on success) that the caller turns into a finding.

// trimCell trims spaces, including the non-breaking and zero-width ones that
// copy-paste from web pages leaves around values. Its common case, printable
// ASCII at both ends, is a table lookup (converter.fill repeats it inline).
func trimCell(s string) string {
	if len(s) == 0 || plain[s[0]]&plain[s[len(s)-1]] == 0 {
		return trimSlow(s)
	}
	return s
}

// plain marks the bytes that cannot begin or end a space: printable ASCII.
var plain = func() (t [256]byte) {
	for c := '!'; c <= '~'; c++ {
		t[c] = 1
	}
	return t
}()

func trimSlow(s string) string { return strings.TrimFunc(s, isTrimSpace) }

func isTrimSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u202f' || r == '\u2007'
}

// isBlank reports whether a cell holds nothing but spaces.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c > ' ' && c < 0x80 {
			return false
		}
	}
	return trimCell(s) == ""
}

// Reasons a number does not parse.
const (
	reasonNotNumber   = "is not a number"
	reasonGrouping    = "is not a number: digits are not grouped by three (a decimal comma? see --decimal-comma)"
	reasonGroupingDC  = "is not a number: digits are not grouped by three (with --decimal-comma, ',' is the decimal mark and '.' groups thousands)"
	reasonNumberRange = "is too large a number"
	reasonLooksDC     = "is not a number (written with a decimal comma? see --decimal-comma)"
	reasonLooksDot    = "is not a number with a decimal comma (written with a decimal point? drop --decimal-comma)"
)

// parseAmount is parseNumber with a better reason when the text is a number
// in the other decimal convention.
func parseAmount(s string, decimalComma bool) (float64, string) {
	if v, ok := parseSimpleNumber(s, decimalComma); ok {
		return v, ""
	}
	v, reason := parseNumber(s, decimalComma)
	if reason == reasonNotNumber {
		if _, other := parseNumber(s, !decimalComma); other == "" {
			if decimalComma {
				return 0, reasonLooksDot
			}
			return 0, reasonLooksDC
		}
	}
	return v, reason
}

// parseSimpleNumber reads the common cases, 30000 and 30000.50 (as CSV
// exports and workbook cells write amounts), exactly: at most 15 digits fit
// a float64's mantissa, and 10^frac is exact. It reports false for anything
// else, which parseNumber then reads.
func parseSimpleNumber(s string, decimalComma bool) (float64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var n uint64
	frac := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c-'0' <= 9:
			n = n*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && i > 0 && !decimalComma:
			frac = 0
		default:
			return 0, false
		}
	}
	if frac < 0 {
		return float64(n), true
	}
	if frac == 0 {
		return 0, false
	}
	return float64(n) / pow10[frac], true
}

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber reads an amount as sales teams write it: 30000, 30,000.50,
// $30,000, USD 30000, 30 000 EUR, -1,200, 1,200-, (1,200), 1.5E+6; with
// decimalComma, 30.000,50 and € 1.234,50. Thousands separators (',' or '.',
// apostrophe, space, non-breaking space) must group digits by three, which
// catches a decimal comma read in the wrong mode. s is trimmed.
func parseNumber(s string, decimalComma bool) (float64, string) {
	if v, ok := parseSimpleNumber(s, decimalComma); ok {
		return v, ""
	}
	groupSep, decSep := byte(','), byte('.')
	if decimalComma {
		groupSep, decSep = '.', ','
	}
	var (
		neg, signed, paren, currency bool
		mant                         [40]byte // significant digits
		nd                           int      // digits in mant
		dropped                      int      // integer digits that did not fit in mant
		fracKept                     int      // fraction digits placed: in mant, or leading zeros
		intDigits, fracDigits        int
		sawDec                       bool
		group                        = -1 // digits since the last group separator; -1 before any
		exp                          int
	)
	i := 0

	// Prefix: '(', a sign and a currency, each at most once, with spaces.
prefix:
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '(' && !paren && !signed:
			paren = true
			i++
		case (c == '-' || c == '+') && !signed:
			signed, neg = true, c == '-'
			i++
		case !signed && strings.HasPrefix(s[i:], "\u2212"):
			signed, neg = true, true
			i += len("\u2212")
		case !currency:
			n := currencyLen(s[i:])
			if n == 0 {
				break prefix
			}
			currency = true
			i += n
		default:
			break prefix
		}
	}

	// Mantissa with digit grouping.
mantissa:
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			i++
			if sawDec {
				fracDigits++
				if nd == 0 && c == '0' { // 0.000123: a zero that only moves the point
					fracKept++
					continue
				}
				if nd < len(mant) {
					mant[nd] = c
					nd++
					fracKept++
				}
				continue
			}
			intDigits++
			if group >= 0 {
				if group++; group > 3 {
					return 0, groupingReason(decimalComma)
				}
			}
			switch {
			case nd == 0 && c == '0': // leading zero
			case nd < len(mant):
				mant[nd] = c
				nd++
			default:
				dropped++
			}
			continue
		}
		if c == decSep && !sawDec {
			if group >= 0 && group != 3 {
				return 0, groupingReason(decimalComma)
			}
			sawDec = true
			i++
			continue
		}
		sep, spaceLike := 0, false
		switch {
		case c == groupSep || c == '\'':
			sep = 1
		case c == ' ':
			sep, spaceLike = 1, true
		case strings.HasPrefix(s[i:], "\u00a0"):
			sep, spaceLike = len("\u00a0"), true
		case strings.HasPrefix(s[i:], "\u202f"):
			sep, spaceLike = len("\u202f"), true
		}
		if sep == 0 || sawDec || intDigits == 0 {
			break mantissa
		}
		if i+sep >= len(s) || s[i+sep] < '0' || s[i+sep] > '9' {
			if spaceLike {
				break mantissa // "30000 USD": the space ends the number
			}
			return 0, reasonNotNumber
		}
		if group >= 0 && group != 3 || group < 0 && intDigits > 3 {
			return 0, groupingReason(decimalComma)
		}
		group = 0
		i += sep
	}
	if intDigits+fracDigits == 0 {
		return 0, reasonNotNumber
	}
	if group >= 0 && !sawDec && group != 3 {
		return 0, groupingReason(decimalComma)
	}

	// Exponent, as raw numeric cells of a workbook may carry.
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') && (i+1 == len(s) || !isLetterASCII(s[i+1])) {
		j := i + 1
		eneg := false
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			eneg = s[j] == '-'
			j++
		}
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			return 0, reasonNotNumber
		}
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
			if exp < 100000 {
				exp = exp*10 + int(s[j]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		i = j
	}

	// Suffix: a currency, the closing ')', or a trailing minus.
	closed := false
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case strings.HasPrefix(s[i:], "\u00a0"):
			i += len("\u00a0")
		case c == ')' && paren && !closed:
			closed = true
			i++
		case c == '-' && !signed && !paren:
			signed, neg = true, true
			i++
		case !currency:
			n := currencyLen(s[i:])
			if n == 0 {
				return 0, reasonNotNumber
			}
			currency = true
			i += n
		default:
			return 0, reasonNotNumber
		}
	}
	if paren {
		if !closed || signed {
			return 0, reasonNotNumber
		}
		neg = true
	}

	e10 := exp + dropped - fracKept
	var v float64
	if nd <= 15 {
		var m uint64
		for _, d := range mant[:nd] {
			m = m*10 + uint64(d-'0')
		}
		switch {
		case m == 0:
		case e10 >= 0 && e10 < len(pow10):
			v = float64(m) * pow10[e10]
		case e10 < 0 && -e10 < len(pow10):
			v = float64(m) / pow10[-e10]
		default:
			v = slowFloat(mant[:nd], e10)
		}
	} else {
		v = slowFloat(mant[:nd], e10)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, reasonNumberRange
	}
	if neg && v != 0 {
		v = -v
	}
	return v, ""
}

func groupingReason(decimalComma bool) string {
	if decimalComma {
		return reasonGroupingDC
	}
	return reasonGrouping
}

// slowFloat handles what the exact fast path cannot: many digits or a large
// exponent. It is rare, so an allocation is fine.
func slowFloat(digits []byte, e10 int) float64 {
	if len(digits) == 0 {
		return 0
	}
	e10 = max(min(e10, 100000), -100000)
	v, _ := strconv.ParseFloat(string(digits)+"e"+strconv.Itoa(e10), 64)
	return v // ±Inf on overflow, 0 on underflow
}

// isPlainNumber reports whether s is a number as a workbook stores a numeric
// cell: -?digits[.digits][E[+-]digits]. Such text is read with '.' as the
// decimal mark even under --decimal-comma.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'E' || s[i] == 'e') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// currencyLen returns the length of a currency symbol or three-letter code at
// the start of s, or 0.
func currencyLen(s string) int {
	if s == "" {
		return 0
	}
	if s[0] < 0x80 {
		switch {
		case s[0] == '$':
			return 1
		case strings.HasPrefix(s, "US$") || strings.HasPrefix(s, "A$") || strings.HasPrefix(s, "C$") || strings.HasPrefix(s, "R$"):
			return strings.IndexByte(s, '$') + 1
		}
		if len(s) >= 3 && isLetterASCII(s[0]) && isLetterASCII(s[1]) && isLetterASCII(s[2]) &&
			(len(s) == 3 || !isLetterASCII(s[3])) {
			return 3
		}
		return 0
	}
	for _, sym := range [...]string{"€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "₫", "₱", "zł"} {
		if strings.HasPrefix(s, sym) {
			return len(sym)
		}
	}
	return 0
}

func isLetterASCII(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// reasonNotBool is why a boolean cell does not parse.
const reasonNotBool = "is not yes or no (use yes/no, y/n, true/false, 1/0, or x for yes)"

// parseBool reads yes/no, y/n, true/false, 1/0 and x (yes), in any case. s
// is trimmed and not empty: a blank cell is "no" and never reaches here.
func parseBool(s string) (bool, string) {
	if len(s) == 1 {
		switch s[0] {
		case 'y', 'Y', '1', 'x', 'X':
			return true, ""
		case 'n', 'N', '0':
			return false, ""
		}
		return false, reasonNotBool
	}
	if len(s) > 5 {
		return false, reasonNotBool
	}
	// Pack the letters, lower-cased, into one integer to switch on.
	var k uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetterASCII(c) {
			if s == "✓" || s == "✔" {
				return true, ""
			}
			return false, reasonNotBool
		}
		k = k<<8 | uint64(c|0x20)
	}
	switch k {
	case 'y'<<16 | 'e'<<8 | 's', 't'<<24 | 'r'<<16 | 'u'<<8 | 'e':
		return true, ""
	case 'n'<<8 | 'o', 'f'<<32 | 'a'<<24 | 'l'<<16 | 's'<<8 | 'e':
		return false, ""
	}
	return false, reasonNotBool
}

// isSingleItem reports whether a trimmed list cell holds one item.
func isSingleItem(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ';' || c == '\n' || c == '\r' {
			return false
		}
	}
	return true
}

// splitList splits a list cell on ';' and line breaks, trimming each item and
// dropping empty ones. s is trimmed and not empty.
func splitList(s string) []string {
	n := 1
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ';' || c == '\n' || c == '\r' {
			n++
		}
	}
	if n == 1 {
		return []string{s}
	}
	out := make([]string, 0, n)
	for len(s) > 0 {
		item := s
		if i := strings.IndexAny(s, ";\n\r"); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if item = trimCell(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// quoteValue quotes a cell value for a message, shortening long ones.
func quoteValue(s string) string {
	const limit = 60
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return strconv.Quote(s)
}

// excelLength is a cell's length as Excel counts it: UTF-16 code units.
func excelLength(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// maxCellChars is Excel's limit on the characters in one cell.
const maxCellChars = 32767

// tooLongForExcel reports whether s exceeds maxCellChars, cheaply for the
// short cells that are nearly all of them.
func tooLongForExcel(s string) bool {
	return len(s) > maxCellChars && excelLength(s) > maxCellChars
}
