package rules

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

// function is one function rules may call. Its Go form (text1, text2 or
// list1) lets the evaluator decide simple tests without the VM; impl and
// signature are what expr compiles against.
type function struct {
	name      string
	signature any    // new(func(...) ...): the typed signature expr checks calls against
	doc       string // one line for `refbatch rules list`
	impl      func(params ...any) (any, error)

	text1 func(string) bool
	text2 func(string, string) bool
	list1 func([]string) bool
}

// errColumnLiteral is returned by filled and invalid if they are ever called
// at run time: the compiler rewrites every call into a field read and rejects
// calls whose argument is not a column name in quotes.
var errColumnLiteral = errors.New("takes a column name in quotes")

// functions returns the functions rules may call, bound to the tables.
func functions(t *Tables) []function {
	text1 := func(name, doc string, fn func(string) bool) function {
		return function{name: name, doc: doc, signature: new(func(string) bool), text1: fn,
			impl: func(p ...any) (any, error) { return fn(p[0].(string)), nil }}
	}
	text2 := func(name, doc string, fn func(string, string) bool) function {
		return function{name: name, doc: doc, signature: new(func(string, string) bool), text2: fn,
			impl: func(p ...any) (any, error) { return fn(p[0].(string), p[1].(string)), nil }}
	}
	columnFlag := func(name, doc string) function {
		return function{name: name, doc: doc, signature: new(func(string) bool),
			impl: func(...any) (any, error) { return nil, errColumnLiteral }}
	}
	return []function{
		columnFlag("filled", `filled("Deal Value"): the cell is not blank (also Filled.DealValue)`),
		columnFlag("invalid", `invalid("Deal Value"): the importer could not parse the cell (also Invalid.DealValue)`),
		text2("known", `known("currencies", Currency): the value is in the table's vocabulary`, t.Known),
		text2("playIn", "playIn(SolutionArea, SolutionPlay): the play belongs to the area", t.PlayIn),
		text2("pair", "pair(Status, Substatus): the substatus is allowed with the status", t.PairAllowed),
		text2("transition", "transition(CurrentStatus, Status): the status change is allowed", t.TransitionAllowed),
		text1("hasRate", "hasRate(Currency): the FX table can convert the currency to USD", t.HasRate),
		text1("email", "email(ContactEmail): looks like an e-mail address", validEmail),
		text1("phone", "phone(ContactPhone): looks like a phone number (7 to 15 digits)", validPhone),
		{
			name: "azureIPEligible", signature: new(func([]string) bool), list1: t.AzureIPEligible,
			doc:  "azureIPEligible(SolutionIDs): a solution is Azure IP co-sell eligible in the solutions table",
			impl: func(p ...any) (any, error) { return t.AzureIPEligible(p[0].([]string)), nil },
		},
		{
			name: "usd", signature: new(func(float64, string, time.Time) float64),
			doc:  "usd(DealValue, Currency, ClosingDate): the amount in USD, by the FX table (NaN without a rate)",
			impl: func(p ...any) (any, error) { return t.USD(p[0].(float64), p[1].(string), p[2].(time.Time)), nil },
		},
		{
			name: "addMonths", signature: new(func(time.Time, int) time.Time),
			doc:  "addMonths(Today, 18): the date n months later",
			impl: func(p ...any) (any, error) { return p[0].(time.Time).AddDate(0, p[1].(int), 0), nil },
		},
		{
			name: "addDays", signature: new(func(time.Time, int) time.Time),
			doc:  "addDays(Today, -60): the date n days later (earlier when n is negative)",
			impl: func(p ...any) (any, error) { return addDays(p[0].(time.Time), p[1].(int)), nil },
		},
		{
			name: "contractYears", signature: new(func(time.Time, time.Time) float64),
			doc:  "contractYears(ContractStartDate, ContractEndDate): the contract's length in years, at least 1 (for the annual value)",
			impl: func(p ...any) (any, error) { return contractYears(p[0].(time.Time), p[1].(time.Time)), nil },
		},
		{
			name: "money", signature: new(func(float64) string),
			doc:  "money(DealValue): 25,000.01 (for messages)",
			impl: func(p ...any) (any, error) { return formatMoney(p[0].(float64)), nil },
		},
	}
}

// FunctionInfo describes a function rules may call.
type FunctionInfo struct {
	Name string
	Doc  string // a one-line example and what it means
}

// Functions lists the functions rules may call (besides expr's builtins), for
// `refbatch rules list` and the like.
func Functions() []FunctionInfo {
	fns := functions(nil) // only the names and docs are read
	out := make([]FunctionInfo, len(fns))
	for i, f := range fns {
		out[i] = FunctionInfo{Name: f.name, Doc: f.doc}
	}
	return out
}

// exprOptions are the compile options every rule expression shares.
func exprOptions(fns []function) []expr.Option {
	opts := []expr.Option{expr.Env(Env{}), expr.Timezone("UTC")}
	for _, f := range fns {
		opts = append(opts, expr.Function(f.name, f.impl, f.signature))
	}
	return opts
}

// validEmail accepts what Partner Center plausibly accepts as a contact
// address: one '@', a dot-atom local part of at most 64 bytes and a domain of
// two or more labels (letters, digits, inner hyphens; non-ASCII allowed)
// whose last is two or more characters and not all digits. It does not
// accept display names ("Sue <sue@contoso.com>").
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 || at > 64 || len(s) > 254 {
		return false
	}
	prev := byte('.') // a leading dot is as wrong as two in a row
	for i := 0; i < at; i++ {
		c := s[i]
		switch {
		case c == '.':
			if prev == '.' {
				return false
			}
		case c >= 0x80 || isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0:
		default:
			return false
		}
		prev = c
	}
	if prev == '.' {
		return false
	}
	labels, start := 0, at+1
	for i := start; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if c := s[i]; c < 0x80 && !isAlnum(c) && c != '-' {
				return false // also a second '@'
			}
			continue
		}
		label := s[start:i]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		if i == len(s) {
			return labels >= 2 && utf8.RuneCountInString(label) >= 2 && !isAllDigits(label)
		}
		start = i + 1
	}
	return false
}

// validPhone accepts 7 to 15 digits (E.164 allows 15), an optional leading
// '+', the usual separators (space - . / ( )) and an extension introduced by
// "x", "ext" or "#".
func validPhone(s string) bool {
	main := s
	if i := extensionAt(s); i >= 0 {
		mark := 1 // "x" or "#"
		if s[i] == 'e' || s[i] == 'E' {
			mark = 3
			if i+3 < len(s) && s[i+3] == '.' {
				mark = 4
			}
		}
		if ext := strings.TrimSpace(s[i+mark:]); !isAllDigits(ext) {
			return false
		}
		main = s[:i]
	}
	main = strings.TrimSpace(main)
	digits := 0
	for i := 0; i < len(main); i++ {
		c := main[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == 0:
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// extensionAt finds where a phone number's extension mark ("ext", "x" or
// "#", any case) starts, or returns -1.
func extensionAt(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '#', 'x', 'X':
			return i
		case 'e', 'E':
			if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && (s[i+2] == 't' || s[i+2] == 'T') {
				return i
			}
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// formatMoney writes an amount with thousands separators and, when it has
// any, two decimals: 25000 → "25,000", 25000.005 → "25,000.01".
func formatMoney(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	cents := math.Round(math.Abs(x) * 100)
	whole := strconv.FormatFloat(math.Floor(cents/100), 'f', 0, 64)
	var b strings.Builder
	if x < 0 && cents != 0 {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac := int(math.Mod(cents, 100)); frac != 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(frac/10) + strconv.Itoa(frac%10))
	}
	return b.String()
}

func addDays(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) }

// contractYears is the length of a contract in years of 365.25 days, at
// least 1: a contract shorter than a year counts its whole value as one
// year's (the annual contract value of Partner Center's registration form).
func contractYears(start, end time.Time) float64 {
	return max(1, end.Sub(start).Hours()/(365.25*24))
}
