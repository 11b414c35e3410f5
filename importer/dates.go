package importer

import (
	"strings"
	"time"
)

// Reasons a date does not parse.
const (
	reasonNotDate     = "is not a date (write 2026-03-31, 3/31/2026 or a date cell)"
	reasonNotDateDMY  = "is not a date (write 2026-03-31, 31/3/2026 or a date cell)"
	reasonBadDay      = "is not a date: there is no such day"
	reasonBadMonth    = "is not a date: the month is not 1 to 12"
	reasonDayFirst    = "is not a month-first date (for day-first dates, use --date-order dmy)"
	reasonMonthFirst  = "is not a day-first date (for month-first dates, drop --date-order dmy)"
	reasonYearRange   = "is not a date in the years 1900 to 9999"
	reasonBadTime     = "is not a date: the time of day is not valid"
	reasonSerialRange = "is not a date: as an Excel serial number it is out of range"
)

// maxExcelSerial is 9999-12-31, the last date Excel can show.
const maxExcelSerial = 2958465

// parseDate reads a date cell: an Excel serial number (what a workbook stores
// for a date cell, or a CSV export of one), ISO 2026-03-31 with an optional
// time and zone, 20260331, 3/31/2026 or 31/3/2026 (per order; also with '.'
// or '-', and two-digit years as Excel reads them), 31-Mar-2026, 31 March
// 2026 and March 31, 2026. Times are returned in UTC. s is trimmed.
func parseDate(s string, order DateOrder, date1904 bool) (time.Time, string) {
	notDate := reasonNotDate
	if order == DMY {
		notDate = reasonNotDateDMY
	}
	if s == "" {
		return time.Time{}, notDate
	}
	if t, ok := parseISODate(s); ok { // the common case
		return t, ""
	}
	if s[0] >= '0' && s[0] <= '9' {
		n1, i := digitRun(s, 0)
		switch {
		case i == len(s) && len(s) == 8: // 20260331
			return validDate(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]), 0, 0, 0, 0, 0)
		case i == len(s) || s[i] == '.' && isPlainNumber(s):
			if isPlainNumber(s) && (i == len(s) || strings.IndexByte(s[i+1:], '.') < 0) {
				return serialDate(s, date1904)
			}
		}
		if i == len(s) {
			return time.Time{}, notDate
		}
		sep := s[i]
		switch {
		case n1 == 4 && (sep == '-' || sep == '/' || sep == '.'): // ISO order
			y := atoi(s[:4])
			m, j := digitRun(s, i+1)
			if m == 0 || m > 2 || j >= len(s) || s[j] != sep {
				return time.Time{}, notDate
			}
			d, k := digitRun(s, j+1)
			if d == 0 || d > 2 {
				return time.Time{}, notDate
			}
			return withTime(s[k:], y, atoi(s[i+1:j]), atoi(s[j+1:k]), notDate)
		case n1 <= 2 && (sep == '/' || sep == '.' || sep == '-'):
			a := atoi(s[:i])
			if i+1 < len(s) && isLetterASCII(s[i+1]) { // 31-Mar-2026
				return dayMonthName(s, a, i+1, sep, notDate)
			}
			n2, j := digitRun(s, i+1)
			if n2 == 0 || n2 > 2 || j >= len(s) || s[j] != sep {
				return time.Time{}, notDate
			}
			b := atoi(s[i+1 : j])
			n3, k := digitRun(s, j+1)
			if n3 != 2 && n3 != 4 {
				return time.Time{}, notDate
			}
			y := twoDigitYear(atoi(s[j+1:k]), n3)
			m, d := a, b
			if order == DMY {
				m, d = b, a
			}
			if m > 12 && d <= 12 {
				if order == DMY {
					return time.Time{}, reasonMonthFirst
				}
				return time.Time{}, reasonDayFirst
			}
			return withTime(s[k:], y, m, d, notDate)
		case n1 <= 2 && sep == ' ': // 31 March 2026
			return dayMonthName(s, atoi(s[:i]), i+1, ' ', notDate)
		}
		return time.Time{}, notDate
	}
	if isLetterASCII(s[0]) { // March 31, 2026
		j := 0
		for j < len(s) && isLetterASCII(s[j]) {
			j++
		}
		m := monthByName(s[:j])
		if m == 0 {
			return time.Time{}, notDate
		}
		if j < len(s) && s[j] == '.' {
			j++
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		nd, k := digitRun(s, j)
		if nd == 0 || nd > 2 {
			return time.Time{}, notDate
		}
		d := atoi(s[j:k])
		if k < len(s) && s[k] == ',' {
			k++
		}
		if k >= len(s) || s[k] != ' ' {
			return time.Time{}, notDate
		}
		for k < len(s) && s[k] == ' ' {
			k++
		}
		ny, l := digitRun(s, k)
		if ny != 4 {
			return time.Time{}, notDate
		}
		return withTime(s[l:], atoi(s[k:l]), m, d, notDate)
	}
	return time.Time{}, notDate
}

// parseISODate reads a valid yyyy-mm-dd date; it reports false for anything
// else, including an impossible date, which parseDate then explains.
func parseISODate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	var v [8]int
	for i, p := range [8]int{0, 1, 2, 3, 5, 6, 8, 9} {
		c := s[p] - '0'
		if c > 9 {
			return time.Time{}, false
		}
		v[i] = int(c)
	}
	y, m, d := v[0]*1000+v[1]*100+v[2]*10+v[3], v[4]*10+v[5], v[6]*10+v[7]
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, false
	}
	return time.Unix(daysFromCivil(y, m, d)*86400, 0).UTC(), true
}

// dayMonthName reads the "Mar-2026" or "March 2026" after a day number.
func dayMonthName(s string, day, i int, sep byte, notDate string) (time.Time, string) {
	j := i
	for j < len(s) && isLetterASCII(s[j]) {
		j++
	}
	m := monthByName(s[i:j])
	if m == 0 {
		return time.Time{}, notDate
	}
	if j < len(s) && s[j] == '.' && sep != '.' {
		j++
	}
	if j >= len(s) || s[j] != sep {
		return time.Time{}, notDate
	}
	j++
	for sep == ' ' && j < len(s) && s[j] == ' ' {
		j++
	}
	ny, k := digitRun(s, j)
	if ny != 2 && ny != 4 {
		return time.Time{}, notDate
	}
	return withTime(s[k:], twoDigitYear(atoi(s[j:k]), ny), m, day, notDate)
}

// withTime validates y-m-d and reads an optional time of day after it:
// [T or spaces] hh:mm[:ss[.fff]] [AM|PM] [Z|±hh:mm|±hhmm].
func withTime(rest string, y, m, d int, notDate string) (time.Time, string) {
	if rest == "" {
		return validDate(y, m, d, 0, 0, 0, 0, 0)
	}
	i := 0
	if rest[0] == 'T' {
		i = 1
	} else {
		for i < len(rest) && rest[i] == ' ' {
			i++
		}
		if i == 0 {
			return time.Time{}, notDate
		}
	}
	nh, j := digitRun(rest, i)
	if nh == 0 || nh > 2 || j >= len(rest) || rest[j] != ':' {
		return time.Time{}, notDate
	}
	hh := atoi(rest[i:j])
	nm, k := digitRun(rest, j+1)
	if nm != 2 {
		return time.Time{}, notDate
	}
	mm := atoi(rest[j+1 : k])
	ss, ns := 0, 0
	if k < len(rest) && rest[k] == ':' {
		n, l := digitRun(rest, k+1)
		if n != 2 {
			return time.Time{}, notDate
		}
		ss = atoi(rest[k+1 : l])
		k = l
		if k < len(rest) && (rest[k] == '.' || rest[k] == ',') {
			n, l := digitRun(rest, k+1)
			if n == 0 {
				return time.Time{}, notDate
			}
			frac := rest[k+1 : l]
			if len(frac) > 9 {
				frac = frac[:9]
			}
			ns = atoi(frac)
			for p := len(frac); p < 9; p++ {
				ns *= 10
			}
			k = l
		}
	}
	for k < len(rest) && rest[k] == ' ' {
		k++
	}
	if k+1 < len(rest) && (rest[k+1] == 'M' || rest[k+1] == 'm') {
		switch rest[k] {
		case 'A', 'a', 'P', 'p':
			if hh < 1 || hh > 12 {
				return time.Time{}, reasonBadTime
			}
			if hh == 12 {
				hh = 0
			}
			if rest[k] == 'P' || rest[k] == 'p' {
				hh += 12
			}
			k += 2
		}
	}
	offset := 0
	switch {
	case k == len(rest):
	case rest[k] == 'Z' && k+1 == len(rest):
		k++
	case rest[k] == '+' || rest[k] == '-':
		n, l := digitRun(rest, k+1)
		var oh, om int
		switch {
		case n == 4 && l == len(rest):
			oh, om = atoi(rest[k+1:k+3]), atoi(rest[k+3:l])
		case n == 2 && l == len(rest):
			oh = atoi(rest[k+1 : l])
		case n == 2 && l < len(rest) && rest[l] == ':':
			n2, l2 := digitRun(rest, l+1)
			if n2 != 2 || l2 != len(rest) {
				return time.Time{}, notDate
			}
			oh, om = atoi(rest[k+1:l]), atoi(rest[l+1:l2])
		default:
			return time.Time{}, notDate
		}
		if oh > 14 || om > 59 {
			return time.Time{}, reasonBadTime
		}
		offset = (oh*60 + om) * 60
		if rest[k] == '-' {
			offset = -offset
		}
		k = len(rest)
	}
	if k != len(rest) {
		return time.Time{}, notDate
	}
	if hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, reasonBadTime
	}
	return validDate(y, m, d, hh, mm, ss, ns, offset)
}

// validDate builds a UTC time after checking that the day exists.
func validDate(y, m, d, hh, mm, ss, ns, offset int) (time.Time, string) {
	if m < 1 || m > 12 {
		return time.Time{}, reasonBadMonth
	}
	if y < 1900 || y > 9999 {
		return time.Time{}, reasonYearRange
	}
	if d < 1 || d > daysIn(y, m) {
		return time.Time{}, reasonBadDay
	}
	secs := daysFromCivil(y, m, d)*86400 + int64(hh*3600+mm*60+ss-offset)
	return time.Unix(secs, int64(ns)).UTC(), ""
}

// daysFromCivil returns the days from 1970-01-01 to a proleptic Gregorian
// date (H. Hinnant's algorithm): cheaper than time.Date, which a million
// rows call a million times. y is at least 1900.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// serialDate reads an Excel serial day number, with an optional fraction for
// the time of day.
func serialDate(s string, date1904 bool) (time.Time, string) {
	v, reason := parseNumber(s, false)
	if reason != "" {
		return time.Time{}, reasonNotDate
	}
	if v < 1 || v >= maxExcelSerial+1 {
		return time.Time{}, reasonSerialRange
	}
	t, err := excelSerialToTime(v, date1904)
	if err != nil {
		return time.Time{}, reasonSerialRange
	}
	return t, ""
}

// twoDigitYear applies Excel's window: 00–29 are 2000s, 30–99 are 1900s.
func twoDigitYear(y, digits int) int {
	if digits != 2 {
		return y
	}
	if y < 30 {
		return 2000 + y
	}
	return 1900 + y
}

// digitRun returns the number of ASCII digits at s[i:] and the index after
// them.
func digitRun(s string, i int) (int, int) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j - i, j
}

// atoi reads a run of at most nine ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var monthFull = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthByName returns 1–12 for an English month name or its abbreviation
// (also "Sept"), any case; 0 otherwise.
func monthByName(s string) int {
	if len(s) < 3 || len(s) > 9 {
		return 0
	}
	var buf [9]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	low := string(buf[:len(s)])
	for i := range monthNames {
		if low == monthNames[i] || low == monthFull[i] || i == 8 && low == "sept" {
			return i + 1
		}
	}
	return 0
}
