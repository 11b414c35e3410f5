package rules

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

//go:embed tables/*.csv
var builtinTables embed.FS

// Table names, as known(table, value) takes them. The file-backed ones are
// the file names under tables/ (and in a --tables directory) without ".csv".
const (
	TableCountries              = "countries"
	TableCountryAliases         = "country-aliases"
	TableCurrencies             = "currencies"
	TableCustomerSizes          = "customer-sizes"
	TablePartnerRoles           = "partner-roles"
	TableSolutionAreas          = "solution-areas"
	TableSolutionPlays          = "solution-plays"
	TableStatusSubstatus        = "status-substatus"
	TableStatusTransitions      = "status-transitions"
	TableFXRates                = "fx-rates"
	TableSolutions              = "solutions"
	TableAssistanceRequestCodes = "assistance-request-codes"
	TableContractTerms          = "contract-terms"
	TablePricingModels          = "pricing-models"
	TablePrimaryDeploymentOn    = "primary-deployment-on"

	// Vocabularies fixed by the API (refbatch.FixedVocabulary), not files.
	TableActions        = "actions"
	TableDealTypes      = "deal-types"
	TableReferralTypes  = "referral-types"
	TableQualifications = "qualifications"
	TableStatuses       = "statuses"
	TableSubstatuses    = "substatuses"
)

type tableSpec struct {
	name    string
	columns []string
}

// tableFiles lists every table file with its header, in load order: a table
// may refer only to tables loaded before it.
var tableFiles = []tableSpec{
	{TableCountries, []string{"code", "name"}},
	{TableCurrencies, []string{"code", "name"}},
	{TableCustomerSizes, []string{"size"}},
	{TablePartnerRoles, []string{"role"}},
	{TableSolutionAreas, []string{"area"}},
	{TableSolutionPlays, []string{"area", "play"}},
	{TableStatusSubstatus, []string{"status", "substatus"}},
	{TableStatusTransitions, []string{"from", "to"}},
	{TableFXRates, []string{"currency", "date", "rate"}},
	{TableSolutions, []string{"id", "name", "azure_ip_cosell_eligible"}},
	{TableAssistanceRequestCodes, []string{"code"}},
	{TableContractTerms, []string{"term"}},
	{TablePricingModels, []string{"model"}},
	{TablePrimaryDeploymentOn, []string{"value"}},
	{TableCountryAliases, []string{"alias", "code"}},
}

// Tables holds the reference data rules consult: vocabularies, the solution
// area/play taxonomy, status rules, FX rates and the solutions catalog. It is
// read-only after LoadTables and safe for concurrent use.
type Tables struct {
	vocabs map[string]*vocab // by table name
	// taxonomies are the Solution Area/Play tables, one per fiscal year,
	// oldest first; the fields below them are the one in use (ForFiscalYear).
	taxonomies  []taxonomy
	taxonomy    int // index in taxonomies of the one in use
	plays       []AreaPlays
	playIn      pairSet // area, play
	pairs       pairSet // status, substatus
	transitions pairSet // from, to
	rates       map[string][]fxRate
	eligible    *vocab // solution ids that are Azure IP co-sell eligible
	// countryNames maps a country's names and other spellings (folded
	// by the importer) to its code.
	countryNames map[string]string
	hash         string
}

// taxonomy is the Solution Area/Play table of a fiscal year.
type taxonomy struct {
	year   int // 2026 for FY26; 0 for a year-less pair in a --tables directory
	areas  *vocab
	plays  *vocab
	playIn pairSet
	list   []AreaPlays
}

// AreaPlays is one Solution Area with its Solution Plays, in table order.
type AreaPlays struct {
	Area  string
	Plays []string
}

type fxRate struct {
	from time.Time
	rate float64 // USD for one unit
}

// vocab is a set of canonical values matched exactly first and, failing
// that, by refbatch.FoldKey (as the importer matches enums).
type vocab struct {
	values []string
	exact  map[string]struct{}
	folded map[string]string // FoldKey → canonical
}

// smallVocab is the size up to which comparing with each value beats
// hashing the string (most vocabularies but countries and currencies).
const smallVocab = 16

func newVocab() *vocab {
	return &vocab{exact: map[string]struct{}{}, folded: map[string]string{}}
}

// add records a value; it returns the canonical spelling already present when
// the value folds to one.
func (v *vocab) add(s string) (dup string, ok bool) {
	k := refbatch.FoldKey(s)
	if prev, seen := v.folded[k]; seen {
		return prev, false
	}
	v.values = append(v.values, s)
	v.exact[s] = struct{}{}
	v.folded[k] = s
	return "", true
}

func (v *vocab) has(s string) bool {
	if len(v.values) <= smallVocab {
		for _, x := range v.values {
			if x == s {
				return true
			}
		}
	} else if _, ok := v.exact[s]; ok {
		return true
	}
	if s == "" {
		return false
	}
	_, ok := v.folded[refbatch.FoldKey(s)]
	return ok
}

func (v *vocab) canonical(s string) (string, bool) {
	if _, ok := v.exact[s]; ok {
		return s, true
	}
	c, ok := v.folded[refbatch.FoldKey(s)]
	return c, ok
}

// pairSet holds allowed (a, b) pairs of canonical values.
type pairSet struct {
	a, b *vocab // the values each side may take, for folding
	set  map[[2]string]struct{}
}

func (p *pairSet) has(a, b string) bool {
	if _, ok := p.set[[2]string{a, b}]; ok {
		return true
	}
	ca, ok1 := p.a.canonical(a)
	cb, ok2 := p.b.canonical(b)
	if !ok1 || !ok2 {
		return false
	}
	_, ok := p.set[[2]string{ca, cb}]
	return ok
}

// LoadTables reads the reference tables. With dir empty it returns the
// built-in tables; otherwise every table file found in dir replaces its
// built-in counterpart and the others stay built in. A .csv file in dir that
// is not a known table is an error, so a misspelt name is not silently
// ignored. Problems are reported as *refbatch.InputError naming the file and
// line.
func LoadTables(dir string) (*Tables, error) {
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, &refbatch.InputError{File: dir, Err: err}
		}
		for _, e := range entries {
			name, isCSV := strings.CutSuffix(e.Name(), ".csv")
			if e.IsDir() || !isCSV {
				continue
			}
			if _, _, yearly := taxonomyFile(name); yearly {
				continue
			}
			if !slices.ContainsFunc(tableFiles, func(f tableSpec) bool { return f.name == name }) {
				return nil, &refbatch.InputError{File: filepath.Join(dir, e.Name()),
					Err: fmt.Errorf("not a reference table; the tables are %s", strings.Join(TableNames(), ", "))}
			}
		}
	}
	t := &Tables{vocabs: map[string]*vocab{}, rates: map[string][]fxRate{}, eligible: newVocab(), countryNames: map[string]string{}}
	for _, fixed := range []struct {
		name string
		col  refbatch.Column
	}{
		{TableActions, refbatch.ColAction}, {TableDealTypes, refbatch.ColDealType},
		{TableReferralTypes, refbatch.ColReferralType}, {TableQualifications, refbatch.ColQualification},
		{TableStatuses, refbatch.ColStatus}, {TableSubstatuses, refbatch.ColSubstatus},
	} {
		v := newVocab()
		for _, s := range refbatch.FixedVocabulary(fixed.col) {
			v.add(s)
		}
		t.vocabs[fixed.name] = v
	}
	h := sha256.New()
	for _, f := range tableFiles {
		if f.name == TableSolutionAreas || f.name == TableSolutionPlays {
			continue // by fiscal year, below
		}
		data, file, err := readTable(dir, f.name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f.name, len(data))
		h.Write(data)
		tf := &tableFile{file: file, name: f.name}
		if err := tf.parse(data, f.columns); err != nil {
			return nil, err
		}
		if err := t.add(tf); err != nil {
			return nil, err
		}
	}
	if err := t.loadTaxonomies(dir, h); err != nil {
		return nil, err
	}
	t.hash = hex.EncodeToString(h.Sum(nil))
	return t.ForFiscalYear(math.MaxInt), nil
}

// TableNames lists the reference table files (without ".csv"), in load order.
func TableNames() []string {
	names := make([]string, len(tableFiles))
	for i, f := range tableFiles {
		names[i] = f.name
	}
	return names
}

// BuiltinTable returns the embedded content of a table file, for users who
// want to start their own --tables directory from it.
// The year-less Solution Area/Play names give the newest built-in year's.
func BuiltinTable(name string) ([]byte, error) {
	if table, year, ok := taxonomyFile(name); ok && year == 0 {
		t, err := LoadTables("")
		if err != nil {
			return nil, err
		}
		years := t.FiscalYears()
		name = taxonomyName(table, years[len(years)-1])
	}
	return builtinTables.ReadFile("tables/" + name + ".csv")
}

func readTable(dir, name string) (data []byte, file string, err error) {
	if dir != "" {
		file = filepath.Join(dir, name+".csv")
		// A file that is named (a dangling symlink included) but cannot be
		// read is an error: falling back to the built-in table would
		// silently check against the sample data instead.
		if _, lerr := os.Lstat(file); lerr == nil {
			data, err = readCapped(file, maxTableBytes, "a reference table is a few hundred lines")
			if err != nil {
				return nil, file, err
			}
			return data, file, nil
		} else if !errors.Is(lerr, fs.ErrNotExist) {
			return nil, file, &refbatch.InputError{File: file, Err: unwrapPathErr(lerr)}
		}
	}
	file = "built-in tables/" + name + ".csv"
	data, err = BuiltinTable(name)
	if err != nil {
		return nil, file, &refbatch.InputError{File: file, Err: err}
	}
	return data, file, nil
}

// maxTableBytes bounds a reference table file.
const maxTableBytes = 16 << 20

// tableFile is one parsed CSV table: its records with their line numbers.
type tableFile struct {
	file    string
	name    string
	records [][]string
	lines   []int
}

func (tf *tableFile) errorf(line int, format string, args ...any) error {
	return &refbatch.InputError{File: tf.file, Row: line, Err: fmt.Errorf(format, args...)}
}

// parse reads the CSV: '#' comment lines, a header naming the columns, then
// one record per line. It accepts a UTF-8 BOM and ';' as delimiter, as Excel
// writes them in some locales.
func (tf *tableFile) parse(data []byte, columns []string) error {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	if first := firstDataLine(data); strings.Count(first, ";") > strings.Count(first, ",") {
		r.Comma = ';'
	}
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return tf.errorf(pe.Line, "%v", pe.Err)
			}
			return tf.errorf(0, "%v", err)
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if header {
			header = false
			if !slices.EqualFunc(rec, columns, strings.EqualFold) {
				return tf.errorf(line, "header is %q, want %q", strings.Join(rec, ","), strings.Join(columns, ","))
			}
			continue
		}
		if len(rec) != len(columns) {
			return tf.errorf(line, "%d fields, want %d (%s)", len(rec), len(columns), strings.Join(columns, ","))
		}
		for i, v := range rec {
			if v == "" {
				return tf.errorf(line, "empty %s", columns[i])
			}
		}
		tf.records = append(tf.records, rec)
		tf.lines = append(tf.lines, line)
	}
	if header {
		return tf.errorf(0, "no header line (%s)", strings.Join(columns, ","))
	}
	return nil
}

func firstDataLine(data []byte) string {
	for line := range strings.Lines(string(data)) {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
			return s
		}
	}
	return ""
}

// add validates a parsed table against the tables loaded before it and
// stores it.
func (t *Tables) add(tf *tableFile) error {
	switch tf.name {
	case TableStatusSubstatus, TableStatusTransitions:
		right := TableSubstatuses
		if tf.name == TableStatusTransitions {
			right = TableStatuses
		}
		ps := pairSet{a: t.vocabs[TableStatuses], b: t.vocabs[right], set: map[[2]string]struct{}{}}
		for i, rec := range tf.records {
			a, ok := ps.a.canonical(rec[0])
			if !ok {
				return tf.errorf(tf.lines[i], "unknown status %q (the API's statuses are %s)", rec[0], strings.Join(ps.a.values, ", "))
			}
			b, ok := ps.b.canonical(rec[1])
			if !ok {
				return tf.errorf(tf.lines[i], "unknown %s %q (the API's are %s)", strings.TrimSuffix(right, "es"), rec[1], strings.Join(ps.b.values, ", "))
			}
			if _, dup := ps.set[[2]string{a, b}]; dup {
				return tf.errorf(tf.lines[i], "duplicate pair %s, %s", a, b)
			}
			ps.set[[2]string{a, b}] = struct{}{}
		}
		if tf.name == TableStatusSubstatus {
			t.pairs = ps
		} else {
			t.transitions = ps
		}
		return nil

	case TableFXRates:
		currencies := t.vocabs[TableCurrencies]
		for i, rec := range tf.records {
			cur, ok := currencies.canonical(rec[0])
			if !ok {
				return tf.errorf(tf.lines[i], "unknown currency %q (not in %s.csv)", rec[0], TableCurrencies)
			}
			if cur == "USD" {
				return tf.errorf(tf.lines[i], "USD needs no rate: it is 1 by definition")
			}
			from, err := time.Parse(time.DateOnly, rec[1])
			if err != nil {
				return tf.errorf(tf.lines[i], "date %q is not YYYY-MM-DD", rec[1])
			}
			rate, err := strconv.ParseFloat(rec[2], 64)
			if err != nil || rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
				return tf.errorf(tf.lines[i], "rate %q is not a positive number", rec[2])
			}
			for _, r := range t.rates[cur] {
				if r.from.Equal(from) {
					return tf.errorf(tf.lines[i], "duplicate rate for %s on %s", cur, rec[1])
				}
			}
			t.rates[cur] = append(t.rates[cur], fxRate{from: from, rate: rate})
		}
		for _, rs := range t.rates {
			sort.Slice(rs, func(i, j int) bool { return rs[i].from.Before(rs[j].from) })
		}
		return nil

	case TableCountryAliases:
		countries := t.vocabs[TableCountries]
		for i, rec := range tf.records {
			code, ok := countries.canonical(rec[1])
			if !ok {
				return tf.errorf(tf.lines[i], "unknown country code %q (not in %s.csv)", rec[1], TableCountries)
			}
			k := refbatch.FoldKey(rec[0])
			if prev, dup := t.countryNames[k]; dup && prev != code {
				return tf.errorf(tf.lines[i], "%q is already the name of %s", rec[0], prev)
			}
			if c, isCode := countries.canonical(rec[0]); isCode && c != code {
				return tf.errorf(tf.lines[i], "%q is the code of another country", rec[0])
			}
			t.countryNames[k] = code
		}
		return nil

	case TableSolutions:
		ids := newVocab()
		for i, rec := range tf.records {
			if prev, ok := ids.add(rec[0]); !ok {
				return tf.errorf(tf.lines[i], "duplicate solution id %s", sameAs(rec[0], prev))
			}
			switch strings.ToLower(rec[2]) {
			case "yes", "y", "true", "1":
				t.eligible.add(rec[0])
			case "no", "n", "false", "0":
			default:
				return tf.errorf(tf.lines[i], "azure_ip_cosell_eligible %q is not yes or no", rec[2])
			}
		}
		t.vocabs[TableSolutions] = ids
		return nil
	}

	// A plain vocabulary: the first column is the value.
	v := newVocab()
	for i, rec := range tf.records {
		value := rec[0]
		switch tf.name {
		case TableCountries:
			if !isUpperCode(value, 2) {
				return tf.errorf(tf.lines[i], "country code %q is not two capital letters (ISO 3166-1 alpha-2)", value)
			}
		case TableCurrencies:
			if !isUpperCode(value, 3) {
				return tf.errorf(tf.lines[i], "currency code %q is not three capital letters (ISO 4217)", value)
			}
		}
		if prev, ok := v.add(value); !ok {
			return tf.errorf(tf.lines[i], "duplicate value %s", sameAs(value, prev))
		}
		if tf.name == TableCountries {
			t.countryNames[refbatch.FoldKey(rec[1])] = value
		}
	}
	t.vocabs[tf.name] = v
	return nil
}

// sameAs quotes a duplicate, with the earlier spelling when it differs.
func sameAs(value, prev string) string {
	if value == prev {
		return strconv.Quote(value)
	}
	return fmt.Sprintf("%q (same as %q)", value, prev)
}

func isUpperCode(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// Hash is the SHA-256 of the tables' content, built-in and overridden; the
// journal stores it with a run.
func (t *Tables) Hash() string { return t.hash }

// FiscalYearOf returns Microsoft's fiscal year of date d: FY27 (2027) runs
// from 1 July 2026 to 30 June 2027.
func FiscalYearOf(d time.Time) int {
	if d.Month() >= time.July {
		return d.Year() + 1
	}
	return d.Year()
}

// ParseFiscalYear reads a fiscal year as users write it: 2026, 26, FY26 or
// FY2026 (any case) are all 2026.
func ParseFiscalYear(s string) (int, error) {
	digits := strings.TrimSpace(s)
	if len(digits) > 2 && strings.EqualFold(digits[:2], "fy") {
		digits = strings.TrimSpace(digits[2:])
	}
	n, err := strconv.Atoi(digits)
	switch {
	case err != nil || n < 0:
	case len(digits) == 2:
		return 2000 + n, nil
	case len(digits) == 4 && n >= 2000 && n <= 2099:
		return n, nil
	}
	return 0, fmt.Errorf("fiscal year %q: want FY26, 26 or 2026", s)
}

// taxonomyFile tells a Solution Area/Play table file name (without ".csv")
// apart: solution-plays-fy26 is the plays of FY26 (year 2026), solution-plays
// the year-less table of a --tables directory (year 0).
func taxonomyFile(name string) (table string, year int, ok bool) {
	for _, table := range []string{TableSolutionAreas, TableSolutionPlays} {
		if name == table {
			return table, 0, true
		}
		suffix, found := strings.CutPrefix(name, table+"-")
		if !found || !strings.HasPrefix(strings.ToLower(suffix), "fy") {
			continue
		}
		if y, err := ParseFiscalYear(suffix); err == nil {
			return table, y, true
		}
	}
	return "", 0, false
}

// taxonomyName is the file name (without ".csv") of a fiscal year's table.
func taxonomyName(table string, year int) string {
	if year == 0 {
		return table
	}
	return fmt.Sprintf("%s-fy%02d", table, year%100)
}

// loadTaxonomies reads the Solution Area/Play tables: the built-in ones, one
// pair per fiscal year (solution-areas-fy24.csv, solution-plays-fy24.csv),
// and dir's. A year's file in dir replaces the built-in one of that year or
// adds the year (its pair then comes from dir too, or the built-in year). A
// year-less solution-areas.csv or solution-plays.csv in dir replaces the
// built-in years: one table for every row but those of a year dir also
// holds, as before fiscal years were told apart.
func (t *Tables) loadTaxonomies(dir string, h io.Writer) error {
	builtinYears := map[int]bool{}
	entries, err := builtinTables.ReadDir("tables")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if table, y, ok := taxonomyFile(strings.TrimSuffix(e.Name(), ".csv")); ok && table == TableSolutionPlays && y != 0 {
			builtinYears[y] = true
		}
	}
	newestBuiltin := 0
	for y := range builtinYears {
		newestBuiltin = max(newestBuiltin, y)
	}
	years := map[int]bool{}
	dirYears := map[int]bool{}
	if dir != "" {
		entries, _ := os.ReadDir(dir) // read by LoadTables already
		for _, e := range entries {
			if _, y, ok := taxonomyFile(strings.TrimSuffix(e.Name(), ".csv")); ok && strings.HasSuffix(e.Name(), ".csv") && !e.IsDir() {
				dirYears[y] = true
			}
		}
	}
	if !dirYears[0] {
		maps.Copy(years, builtinYears)
	}
	maps.Copy(years, dirYears)
	sorted := slices.Sorted(maps.Keys(years))
	for _, y := range sorted {
		var pair [2]*tableFile
		for i, table := range []string{TableSolutionAreas, TableSolutionPlays} {
			data, file, err := t.readTaxonomy(dir, table, y, dirYears[y], builtinYears[y], newestBuiltin)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", taxonomyName(table, y), len(data))
			h.Write(data)
			pair[i] = &tableFile{file: file, name: table}
			spec := []string{"area"}
			if table == TableSolutionPlays {
				spec = []string{"area", "play"}
			}
			if err := pair[i].parse(data, spec); err != nil {
				return err
			}
		}
		tx, err := newTaxonomy(y, pair[0], pair[1])
		if err != nil {
			return err
		}
		t.taxonomies = append(t.taxonomies, tx)
	}
	return nil
}

// readTaxonomy reads one file of year y's pair: dir's when it has it, else
// the built-in one of that year (of the newest built-in year for the
// year-less pair).
func (t *Tables) readTaxonomy(dir, table string, y int, inDir, builtinYear bool, newestBuiltin int) ([]byte, string, error) {
	name := taxonomyName(table, y)
	if inDir {
		file := filepath.Join(dir, name+".csv")
		if _, err := os.Lstat(file); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return readTable(dir, name)
		}
	}
	switch {
	case y == 0:
		name = taxonomyName(table, newestBuiltin)
	case !builtinYear:
		other := TableSolutionAreas
		if table == TableSolutionAreas {
			other = TableSolutionPlays
		}
		return nil, "", &refbatch.InputError{File: filepath.Join(dir, taxonomyName(other, y)+".csv"),
			Err: fmt.Errorf("needs %s.csv beside it: a fiscal year's areas and plays go together", name)}
	}
	return readTable("", name)
}

// newTaxonomy checks a year's plays against its areas.
func newTaxonomy(year int, areasFile, playsFile *tableFile) (taxonomy, error) {
	tx := taxonomy{year: year, areas: newVocab(), plays: newVocab()}
	for i, rec := range areasFile.records {
		if prev, ok := tx.areas.add(rec[0]); !ok {
			return tx, areasFile.errorf(areasFile.lines[i], "duplicate value %s", sameAs(rec[0], prev))
		}
	}
	tx.playIn = pairSet{a: tx.areas, b: tx.plays, set: map[[2]string]struct{}{}}
	index := map[string]int{}
	for i, rec := range playsFile.records {
		area, ok := tx.areas.canonical(rec[0])
		if !ok {
			return tx, playsFile.errorf(playsFile.lines[i], "unknown solution area %q (not in %s.csv)", rec[0], taxonomyName(TableSolutionAreas, year))
		}
		play, _ := tx.plays.canonical(rec[1])
		if play == "" {
			play = rec[1]
			tx.plays.add(play)
		}
		key := [2]string{area, play}
		if _, dup := tx.playIn.set[key]; dup {
			return tx, playsFile.errorf(playsFile.lines[i], "duplicate play %q in area %q", play, area)
		}
		tx.playIn.set[key] = struct{}{}
		j, seen := index[area]
		if !seen {
			j = len(tx.list)
			index[area] = j
			tx.list = append(tx.list, AreaPlays{Area: area})
		}
		tx.list[j].Plays = append(tx.list[j].Plays, play)
	}
	return tx, nil
}

// FiscalYears lists the fiscal years with a Solution Area/Play table of
// their own, oldest first (2026 for FY26); 0 stands for a year-less table
// of a --tables directory, which serves every other year.
func (t *Tables) FiscalYears() []int {
	out := make([]int, len(t.taxonomies))
	for i, tx := range t.taxonomies {
		out[i] = tx.year
	}
	return out
}

// FiscalYear is the year of the Solution Area/Play table in use (0: the
// year-less one).
func (t *Tables) FiscalYear() int { return t.taxonomies[t.taxonomy].year }

// ForFiscalYear returns the tables with fiscal year fy's Solution Area/Play
// table in use: the newest table not after fy (a year keeps the table of
// the last year that had one), else the oldest. The other tables are
// shared.
func (t *Tables) ForFiscalYear(fy int) *Tables {
	return t.withTaxonomy(taxonomyFor(t.FiscalYears(), fy))
}

// taxonomyFor is the index in years (oldest first) of the table fiscal year
// fy uses.
func taxonomyFor(years []int, fy int) int {
	i := 0
	for j, y := range years {
		if y <= fy {
			i = j
		}
	}
	return i
}

func (t *Tables) withTaxonomy(i int) *Tables {
	c := *t
	c.vocabs = maps.Clone(t.vocabs)
	tx := t.taxonomies[i]
	c.taxonomy = i
	c.vocabs[TableSolutionAreas], c.vocabs[TableSolutionPlays] = tx.areas, tx.plays
	c.playIn, c.plays = tx.playIn, tx.list
	return &c
}

// Known reports whether value is in the named table's vocabulary, matched as
// the importer matches enums (exactly, or ignoring case, spaces and hyphens).
// An unknown table name has no values.
func (t *Tables) Known(table, value string) bool {
	v, ok := t.vocabs[table]
	return ok && v.has(value)
}

// Values returns the named table's canonical values in table order; nil for
// an unknown table.
func (t *Tables) Values(table string) []string {
	if v, ok := t.vocabs[table]; ok {
		return slices.Clone(v.values)
	}
	return nil
}

// vocabColumns maps each enumerated column whose values come from a table
// file to that table.
var vocabColumns = []struct {
	col   refbatch.Column
	table string
}{
	{refbatch.ColCountry, TableCountries},
	{refbatch.ColCustomerSize, TableCustomerSizes},
	{refbatch.ColCurrency, TableCurrencies},
	{refbatch.ColAssistanceRequestCode, TableAssistanceRequestCodes},
	{refbatch.ColPartnerRole, TablePartnerRoles},
	{refbatch.ColSolutionArea, TableSolutionAreas},
	{refbatch.ColSolutionPlay, TableSolutionPlays},
	{refbatch.ColContractCurrency, TableCurrencies},
	{refbatch.ColContractTerm, TableContractTerms},
	{refbatch.ColPricingModel, TablePricingModels},
	{refbatch.ColPrimaryDeploymentOn, TablePrimaryDeploymentOn},
}

// Vocabulary returns the canonical values of every enumerated column whose
// values come from the tables (Country, Currency, Contract Currency, Customer
// Size, Partner Role, Solution Area, Solution Play, Assistance Request Code,
// Contract Term, Pricing Model, Primary Deployment On), for the importer's
// enum matching and the template's drop-down lists. Columns with values fixed
// by the API are in refbatch.FixedVocabulary.
func (t *Tables) Vocabulary() map[refbatch.Column][]string {
	m := make(map[refbatch.Column][]string, len(vocabColumns))
	for _, vc := range vocabColumns {
		m[vc.col] = t.Values(vc.table)
	}
	return m
}

// Aliases returns, per enumerated column, other spellings of its values
// mapped to the canonical value, for the importer: country names and
// common forms (countries.csv names and country-aliases.csv) to alpha-2
// codes. Keys are folded with refbatch.FoldKey.
func (t *Tables) Aliases() map[refbatch.Column]map[string]string {
	m := make(map[string]string, len(t.countryNames))
	for k, v := range t.countryNames {
		m[k] = v
	}
	return map[refbatch.Column]map[string]string{refbatch.ColCountry: m}
}

// Plays returns the solution areas with their plays, in table order, for the
// template's dependent drop-down.
func (t *Tables) Plays() []AreaPlays {
	out := make([]AreaPlays, len(t.plays))
	for i, ap := range t.plays {
		out[i] = AreaPlays{Area: ap.Area, Plays: slices.Clone(ap.Plays)}
	}
	return out
}

// PlayIn reports whether play belongs to area.
func (t *Tables) PlayIn(area, play string) bool { return t.playIn.has(area, play) }

// PairAllowed reports whether substatus is allowed with status.
func (t *Tables) PairAllowed(status, substatus string) bool { return t.pairs.has(status, substatus) }

// TransitionAllowed reports whether a referral may go from status from to
// status to; the engine asks it again when it re-reads a referral's live
// state.
func (t *Tables) TransitionAllowed(from, to string) bool { return t.transitions.has(from, to) }

// AzureIPEligible reports whether at least one of the solution ids is Azure IP
// co-sell eligible in the solutions table.
func (t *Tables) AzureIPEligible(ids []string) bool {
	for _, id := range ids {
		if t.eligible.has(id) {
			return true
		}
	}
	return false
}

// HasRate reports whether amounts in currency can be converted to USD.
func (t *Tables) HasRate(currency string) bool {
	_, ok := t.rate(currency, time.Time{})
	return ok
}

// USD converts amount in currency to US dollars, rounded to the cent, with the
// latest rate dated on or before date (the newest rate when date is zero, the
// oldest when date precedes every rate). It returns NaN when the currency has
// no rate, so that any comparison with the result is false.
func (t *Tables) USD(amount float64, currency string, date time.Time) float64 {
	rate, ok := t.rate(currency, date)
	if !ok {
		return math.NaN()
	}
	return math.Round(amount*rate*100) / 100
}

func (t *Tables) rate(currency string, date time.Time) (float64, bool) {
	if currency == "USD" {
		return 1, true
	}
	rs, ok := t.rates[currency]
	if !ok {
		c, known := t.vocabs[TableCurrencies].canonical(currency)
		if !known {
			return 0, false
		}
		if c == "USD" {
			return 1, true
		}
		if rs, ok = t.rates[c]; !ok {
			return 0, false
		}
	}
	if date.IsZero() {
		return rs[len(rs)-1].rate, true
	}
	// rs is sorted by date: the first rate after date ends the search.
	i := sort.Search(len(rs), func(i int) bool { return rs[i].from.After(date) })
	if i == 0 {
		return rs[0].rate, true
	}
	return rs[i-1].rate, true
}

// AzureIPCoSellSolutions returns the solution ids the solutions table marks
// Azure IP co-sell eligible, in table order, so that a sandbox can use the
// same catalog as the isSolutionIncentiveEligible pre-check.
func (t *Tables) AzureIPCoSellSolutions() []string { return slices.Clone(t.eligible.values) }

// FXToUSD returns, for USD and every currency of the FX table, the newest
// rate to USD (US dollars for one unit), so that a sandbox, which has one
// rate per currency, converts as the isDealValueEligible pre-check does for
// a deal closing after the last rate's date.
func (t *Tables) FXToUSD() map[string]float64 {
	m := make(map[string]float64, len(t.rates)+1)
	m["USD"] = 1
	for cur, rs := range t.rates {
		m[cur] = rs[len(rs)-1].rate
	}
	return m
}
