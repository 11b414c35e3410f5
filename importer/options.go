package importer

import (
	"errors"
	"maps"
	"strings"

	"github.com/refbatch/refbatch"
)

// DateOrder says how an ambiguous numeric date such as 3/4/2026 is read.
type DateOrder int

// Date orders. The zero value is MDY, the US order Excel uses by default.
const (
	MDY DateOrder = iota // month/day/year: 3/31/2026
	DMY                  // day/month/year: 31/3/2026
)

func (o DateOrder) String() string {
	if o == DMY {
		return "dmy"
	}
	return "mdy"
}

// ParseDateOrder reads a --date-order flag value: "mdy" or "dmy" (any case).
func ParseDateOrder(s string) (DateOrder, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "mdy", "us":
		return MDY, nil
	case "dmy":
		return DMY, nil
	}
	return MDY, errors.New("date order must be mdy or dmy, not " + quoteValue(s))
}

// Options control how a file is read. The zero value reads the first sheet
// of a workbook or a CSV with a sniffed delimiter, detects the header row,
// and reads dates month first.
type Options struct {
	Sheet        string    // xlsx worksheet name; "" = the first sheet
	HeaderRow    int       // spreadsheet row number of the header; 0 = detect
	Delimiter    rune      // CSV delimiter; 0 = sniff among ',', ';' and tab
	DecimalComma bool      // numbers in text are written 30.000,50
	DateOrder    DateOrder // order of d/m/y dates; MDY by default

	// Mapping adds header aliases per column (from --mapping FILE, see
	// LoadMapping). An alias here wins over a built-in alias of another
	// column.
	Mapping map[refbatch.Column][]string
	// Vocabulary adds canonical values for enumerated columns (Country,
	// Currency, Solution Area… from the rules tables). It is merged over
	// refbatch.FixedVocabulary: on a clash of folded spellings it wins.
	Vocabulary map[refbatch.Column][]string
	// Aliases maps other spellings of an enumerated column's values to
	// the canonical one, per column: country names and common forms
	// ("United States", "USA", "U.K.", "Deutschland") to alpha-2 codes,
	// from the rules tables. Keys are matched like enums (refbatch.FoldKey).
	// The cell text keeps what the user wrote.
	Aliases map[refbatch.Column]map[string]string
	// IncludeHidden checks hidden rows of a workbook too; by default they
	// are skipped with one warning naming them.
	IncludeHidden bool
}

// minKnownHeaders is how many cells of a row must name known columns for the
// row to be taken as the header (SPEC §3).
const minKnownHeaders = 3

// maxHeaderScan bounds header detection: the header must lie within this
// many leading rows, else --header-row must name it.
const maxHeaderScan = 100

// headerMatcher maps folded header texts to columns: the built-in names and
// aliases, overridden by the user's mapping.
type headerMatcher map[string]refbatch.Column

func newHeaderMatcher(mapping map[refbatch.Column][]string) headerMatcher {
	m := make(headerMatcher, 4*int(refbatch.NumColumns))
	for _, c := range refbatch.Columns() {
		info := c.Info()
		m[refbatch.FoldKey(info.Name)] = c
		m[refbatch.FoldKey(info.Field)] = c
		for _, a := range info.Aliases {
			m[refbatch.FoldKey(a)] = c
		}
	}
	for c, aliases := range mapping {
		if !c.Valid() {
			continue
		}
		for _, a := range aliases {
			if k := refbatch.FoldKey(a); k != "" {
				m[k] = c
			}
		}
	}
	return m
}

func (m headerMatcher) match(header string) (refbatch.Column, bool) {
	k := refbatch.FoldKey(header)
	if k == "" {
		return 0, false
	}
	c, ok := m[k]
	return c, ok
}

// currencySymbols are the symbols a header may use for its unit.
var currencySymbols = map[string]string{"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}

// matchUnit matches a header that names an amount column with its currency:
// "Deal Value (USD)", "Amount [EUR]", "Contract Value in GBP", "Deal Value $".
// The code must be written in capitals (or be a symbol), so that "Deal Value
// (Net)" is not read as a currency.
func (m headerMatcher) matchUnit(header string) (refbatch.Column, string, bool) {
	h := strings.TrimSpace(header)
	h = strings.TrimRight(h, ")] ")
	i := strings.LastIndexAny(h, " ([,/-")
	if i < 0 {
		return 0, "", false
	}
	unit, base := strings.TrimSpace(h[i+1:]), strings.TrimSpace(h[:i])
	base = strings.TrimRight(base, " ([,/-")
	if b, ok := strings.CutSuffix(base, " in"); ok {
		base = b
	}
	code, ok := currencySymbols[unit]
	if !ok {
		if len(unit) != 3 || unit != strings.ToUpper(unit) || !isLetterASCII(unit[0]) || !isLetterASCII(unit[1]) || !isLetterASCII(unit[2]) {
			return 0, "", false
		}
		code = unit
	}
	c, ok := m.match(base)
	if !ok || c.Kind() != refbatch.KindNumber {
		return 0, "", false
	}
	return c, code, true
}

// countKnown counts the cells that name a known column.
func (m headerMatcher) countKnown(cells []string) int {
	n := 0
	for _, c := range cells {
		if _, ok := m.match(c); ok {
			n++
		} else if _, _, ok := m.matchUnit(c); ok {
			n++
		} else if isFullNameHeader(c) {
			n++
		} else if _, _, ok := matchNumbered(c); ok {
			n++
		} else if _, ok := matchIgnored(c); ok {
			n++
		}
	}
	return n
}

// vocabulary maps a folded enum text to its canonical spelling, per column;
// exact lists the canonical spellings, which most cells already use.
type vocabulary struct {
	folded [refbatch.NumColumns]map[string]string
	exact  [refbatch.NumColumns][]string
}

func newVocabulary(extra map[refbatch.Column][]string, aliases map[refbatch.Column]map[string]string) *vocabulary {
	v := new(vocabulary)
	defer func() {
		for _, c := range refbatch.Columns() {
			if m := refbatch.FixedAliases(c); m != nil {
				if aliases == nil {
					aliases = map[refbatch.Column]map[string]string{}
				}
				merged := maps.Clone(aliases[c])
				if merged == nil {
					merged = map[string]string{}
				}
				for k, v := range m {
					if _, taken := merged[k]; !taken {
						merged[k] = v
					}
				}
				aliases[c] = merged
			}
		}
		for c, m := range aliases {
			if !c.Valid() || len(m) == 0 {
				continue
			}
			if v.folded[c] == nil {
				v.folded[c] = make(map[string]string, len(m))
			}
			for alias, canon := range m {
				if k := refbatch.FoldKey(alias); k != "" {
					if _, taken := v.folded[c][k]; !taken {
						v.folded[c][k] = canon
					}
				}
			}
		}
	}()
	for _, c := range refbatch.Columns() {
		if c.Kind() != refbatch.KindEnum {
			continue
		}
		fixed, more := refbatch.FixedVocabulary(c), extra[c]
		if len(fixed)+len(more) == 0 {
			continue
		}
		m := make(map[string]string, len(fixed)+len(more))
		for _, list := range [][]string{fixed, more} {
			for _, val := range list {
				if k := refbatch.FoldKey(val); k != "" {
					m[k] = strings.TrimSpace(val)
				}
			}
		}
		v.folded[c] = m
		if len(m) <= 16 {
			for _, canon := range m {
				v.exact[c] = append(v.exact[c], canon)
			}
		}
	}
	return v
}

// canonical returns the canonical spelling of an enum value of column c, or
// s itself when the value is not in the vocabulary. It does not allocate for
// short ASCII values.
func (v *vocabulary) canonical(c refbatch.Column, s string) string {
	m := v.folded[c]
	if m == nil {
		return s
	}
	for _, canon := range v.exact[c] {
		if s == canon {
			return canon
		}
	}
	var buf [64]byte
	if n, ok := foldASCII(&buf, s); ok {
		if canon, hit := m[string(buf[:n])]; hit {
			return canon
		}
		return s
	}
	if canon, hit := m[refbatch.FoldKey(s)]; hit {
		return canon
	}
	return s
}

// foldASCII is refbatch.FoldKey for short ASCII text, into a stack buffer.
// It reports false for non-ASCII text or text too long for the buffer.
func foldASCII(dst *[64]byte, s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return 0, false
		case c == '_' || c == '-' || c == '.' || c == '(' || c == ')' ||
			c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if n == len(dst) {
			return 0, false
		}
		dst[n] = c
		n++
	}
	return n, true
}
