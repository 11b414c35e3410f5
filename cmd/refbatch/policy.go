package main

import (
	"fmt"
	"maps"
	"time"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/rules"
)

// policyFlags are the flags that choose the rules and reference tables; the
// validate, rules and (later) plan and run commands share them.
type policyFlags struct {
	rulesFile string
	tablesDir string
	// now is the clock rules see as Today; nil means time.Now. Not a flag:
	// tests set it so that "in the past" does not drift with the calendar.
	now func() time.Time
}

func (p *policyFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&p.rulesFile, "rules", "", "rules `FILE` (YAML) that extends or replaces the built-in rules")
	fs.StringVar(&p.tablesDir, "tables", "", "`DIR` of reference tables overriding the built-in ones (solution plays, currencies, FX rates…)")
}

// load compiles the policy; any error names the file, rule and position.
func (p *policyFlags) load() (*rules.Policy, error) {
	tables, err := rules.LoadTables(p.tablesDir)
	if err != nil {
		return nil, err
	}
	return rules.Load(p.rulesFile, tables, rules.Options{Now: p.now})
}

// importFlags are the flags that say how to read an input file.
type importFlags struct {
	sheet         string
	headerRow     int
	delimiter     string
	decimalComma  bool
	dateOrder     string
	mapping       string
	includeHidden bool
}

func (f *importFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.sheet, "sheet", "", "worksheet `NAME` of an .xlsx file (default: the first sheet)")
	fs.IntVar(&f.headerRow, "header-row", 0, "spreadsheet row `N` of the header (default: the first row naming three known columns)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: ',', ';' or 'tab' (default: sniffed)")
	fs.BoolVar(&f.decimalComma, "decimal-comma", false, "numbers are written 30.000,50 (European exports)")
	fs.StringVar(&f.dateOrder, "date-order", "mdy", "order of slash dates such as 3/4/2026: mdy or dmy")
	fs.StringVar(&f.mapping, "mapping", "", "YAML `FILE` mapping canonical column names to your headers")
	fs.BoolVar(&f.includeHidden, "include-hidden", false, "check hidden rows of a workbook too (default: skip them with one warning)")
}

// options turns the flags into importer options; vocabulary comes from the
// policy's reference tables so that enums are read in canonical spelling.
func (f *importFlags) options(policy *rules.Policy) (importer.Options, error) {
	opts := importer.Options{Sheet: f.sheet, HeaderRow: f.headerRow, DecimalComma: f.decimalComma, IncludeHidden: f.includeHidden}
	if f.headerRow < 0 {
		return opts, usageError("--header-row must be a row number, got %d", f.headerRow)
	}
	switch f.delimiter {
	case "":
	case ",", ";":
		opts.Delimiter = rune(f.delimiter[0])
	case "tab", "\\t", "\t":
		opts.Delimiter = '\t'
	default:
		return opts, usageError("--delimiter must be ',', ';' or 'tab', got %q", f.delimiter)
	}
	order, err := importer.ParseDateOrder(f.dateOrder)
	if err != nil {
		return opts, usageError("--date-order: %v", err)
	}
	opts.DateOrder = order
	if f.mapping != "" {
		m, err := importer.LoadMapping(f.mapping)
		if err != nil {
			return opts, err
		}
		opts.Mapping = m
	}
	if policy != nil {
		opts.Vocabulary = policy.Tables().Vocabulary()
		opts.Aliases = policy.Tables().Aliases()
	}
	return opts, nil
}

// vocabulary merges the fixed API enums with the policy's tables, for the
// template's drop-downs.
func vocabulary(policy *rules.Policy) map[refbatch.Column][]string {
	out := make(map[refbatch.Column][]string)
	for _, c := range refbatch.Columns() {
		if v := refbatch.FixedVocabulary(c); v != nil {
			out[c] = v
		}
	}
	maps.Copy(out, policy.Tables().Vocabulary())
	return out
}

// oneArg returns the single positional argument or a usage error.
func oneArg(fs *pflag.FlagSet, what string) (string, error) {
	switch fs.NArg() {
	case 1:
		return fs.Arg(0), nil
	case 0:
		return "", usageError("missing %s", what)
	default:
		return "", usageError("expected one %s, got %d arguments", what, fs.NArg())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// areaPlays hands the policy's Solution Area → Play table to the template.
func areaPlays(policy *rules.Policy) []exporter.AreaPlays {
	var out []exporter.AreaPlays
	for _, ap := range policy.Tables().Plays() {
		out = append(out, exporter.AreaPlays{Area: ap.Area, Plays: ap.Plays})
	}
	return out
}
