package exporter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the template.
const (
	SheetReferrals = "Referrals"
	SheetGuide     = "Guide"
	SheetLists     = "Lists"
)

// DefaultTemplateRows is how many rows get drop-downs and checks when
// TemplateOptions.Rows is zero.
const DefaultTemplateRows = 1000

// AreaPlays is one Solution Area and the Solution Plays that belong to it.
type AreaPlays struct {
	Area  string
	Plays []string
}

// TemplateOptions are the data a template is built from.
type TemplateOptions struct {
	// Vocabulary holds the canonical values of each enumerated column (the
	// reference tables merged with refbatch.FixedVocabulary by the caller;
	// WriteTemplate merges FixedVocabulary again, harmlessly). A column
	// without values gets no drop-down. Contract Currency falls back to
	// Currency's values.
	Vocabulary map[refbatch.Column][]string
	// Plays makes Solution Play a drop-down that depends on the Solution
	// Area chosen in the same row. Its areas join Solution Area's values.
	Plays []AreaPlays
	// Rows is how many rows get drop-downs and checks; DefaultTemplateRows
	// when zero.
	Rows int
}

// Template styles' fills: required-to-create and required-to-update headers.
const (
	fillRequiredCreate = "F8CBAD"
	fillRequiredUpdate = "BDD7EE"
	fillHeader         = "D9D9D9"
)

// Name prefixes of the template's defined names on the Lists sheet.
const (
	listNamePrefix = "List_"
	playNamePrefix = "Play_"
)

// Defined names of the Close Reason lists: Partner Center numbers the
// Declined/Lost reasons and the Error reasons separately.
const (
	closeReasonList      = listNamePrefix + "CloseReason"
	closeReasonErrorList = listNamePrefix + "CloseReasonError"
)

// WriteTemplate writes an Excel template for referrals (SPEC §2): a
// "Referrals" sheet whose headers are the canonical column names, required
// columns marked, drop-downs and checks on the first opts.Rows rows; a
// "Guide" sheet describing every column; a hidden "Lists" sheet holding the
// drop-down values behind defined names. The file is written to a temporary
// file and renamed into place (mode 0600).
func WriteTemplate(path string, opts TemplateOptions) error {
	if err := writeTemplate(path, opts); err != nil {
		return fmt.Errorf("template %s: %w", path, err)
	}
	return nil
}

func writeTemplate(path string, opts TemplateOptions) error {
	rows := opts.Rows
	if rows == 0 {
		rows = DefaultTemplateRows
	}
	if rows < 0 || rows >= excelize.TotalRows {
		return fmt.Errorf("rows %d: want 1 to %d", opts.Rows, excelize.TotalRows-1)
	}
	wd, err := openWorkDir(path)
	if err != nil {
		return err
	}
	defer wd.remove()
	t := &templateWriter{f: excelize.NewFile(excelize.Options{TmpDir: wd.path}), opts: opts, rows: rows, cols: refbatch.Columns()}
	defer t.f.Close()
	if err := t.build(); err != nil {
		return err
	}
	out, err := createAtomic(path, wd)
	if err != nil {
		return err
	}
	if _, err := t.f.WriteTo(out); err != nil {
		_ = out.discard()
		return err
	}
	return out.commit()
}

type templateWriter struct {
	f    *excelize.File
	opts TemplateOptions
	rows int
	// cols are the Referrals sheet's columns (every canonical column for
	// a template, the pulled ones for a pulled workbook); guide adds lines
	// to the Guide sheet's introduction.
	cols  []refbatch.Column
	guide []string

	lists     map[refbatch.Column]string // defined name of each column's list
	listCol   int                        // next free column on the Lists sheet, 1-based
	playNames []string
	playFunc  string // the sanitising SUBSTITUTE chain, with %s for the area cell
}

func (t *templateWriter) build() error {
	f := t.f
	if err := f.SetSheetName("Sheet1", SheetReferrals); err != nil {
		return err
	}
	for _, s := range []string{SheetGuide, SheetLists} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	if err := t.writeLists(); err != nil {
		return err
	}
	if err := f.SetSheetVisible(SheetLists, false); err != nil {
		return err
	}
	if err := t.writeReferrals(); err != nil {
		return err
	}
	if err := t.writeGuide(); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return nil
}

// vocabulary returns the drop-down values of column c, deduplicated by
// refbatch.FoldKey, fixed API values first.
func (t *templateWriter) vocabulary(c refbatch.Column) []string {
	var out []string
	seen := map[string]bool{}
	add := func(vs ...string) {
		for _, v := range vs {
			v = strings.TrimSpace(v)
			k := refbatch.FoldKey(v)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, v)
		}
	}
	add(refbatch.FixedVocabulary(c)...)
	add(t.opts.Vocabulary[c]...)
	switch c {
	case refbatch.ColSolutionArea:
		for _, ap := range t.opts.Plays {
			add(ap.Area)
		}
	case refbatch.ColContractCurrency, refbatch.ColSolutionCurrency:
		if len(out) == 0 {
			add(t.opts.Vocabulary[refbatch.ColCurrency]...)
		}
	case refbatch.ColSolutionPlay:
		for _, ap := range t.opts.Plays {
			add(ap.Plays...)
		}
	}
	return out
}

// dependentPlays reports whether Solution Play depends on Solution Area.
func (t *templateWriter) dependentPlays() bool {
	for _, ap := range t.opts.Plays {
		if strings.TrimSpace(ap.Area) != "" && len(ap.Plays) > 0 {
			return true
		}
	}
	return false
}

// writeLists puts every drop-down list in a column of the Lists sheet (name
// in row 1, values below) behind a defined name: List_<Field> for a column,
// Play_<area> for the plays of an area. A sheet range has no length limit,
// unlike a list typed into the validation (255 characters), and values may
// hold commas ("Innovate with HPC, AI Infrastructure").
func (t *templateWriter) writeLists() error {
	t.lists = map[refbatch.Column]string{}
	t.listCol = 1
	for _, c := range refbatch.Columns() {
		if c.Kind() != refbatch.KindEnum || (c == refbatch.ColSolutionPlay && t.dependentPlays()) {
			continue
		}
		values := t.vocabulary(c)
		if len(values) == 0 {
			continue
		}
		name := listNamePrefix + c.Info().Field
		if err := t.writeList(c.String(), name, values); err != nil {
			return err
		}
		t.lists[c] = name
	}
	// Close Reason is text (your own words are sent as they are), but its
	// codes are a list: offered as "3 - Customer chose another vendor",
	// which refbatch.CloseReasonText reads back as the code.
	for _, l := range []struct{ title, name, substatus string }{
		{"Close Reason (Declined, Lost)", closeReasonList, refbatch.SubstatusLost},
		{"Close Reason (Error)", closeReasonErrorList, refbatch.SubstatusError},
	} {
		if err := t.writeList(l.title, l.name, refbatch.CloseReasonCodes(l.substatus)); err != nil {
			return err
		}
	}
	if !t.dependentPlays() {
		return nil
	}
	// Area names become Excel names: letters, digits, '_' and '.' are kept,
	// anything else becomes '_'; the validation formula replays the same
	// substitutions on the chosen area with SUBSTITUTE.
	replaced := map[rune]bool{}
	owner := map[string]string{} // upper-cased name → area (names ignore case)
	for _, ap := range t.opts.Plays {
		area := strings.TrimSpace(ap.Area)
		plays := dedupe(ap.Plays)
		if area == "" || len(plays) == 0 {
			continue
		}
		name := playName(area, replaced)
		if prev, ok := owner[strings.ToUpper(name)]; ok {
			if prev == area {
				return fmt.Errorf("solution area %q listed twice", area)
			}
			return fmt.Errorf("solution areas %q and %q both become the Excel name %s", prev, area, name)
		}
		owner[strings.ToUpper(name)] = area
		if err := t.writeList(area, name, plays); err != nil {
			return err
		}
		t.playNames = append(t.playNames, name)
	}
	runes := make([]rune, 0, len(replaced))
	for r := range replaced {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	expr := "%s"
	for _, r := range runes {
		expr = "SUBSTITUTE(" + expr + "," + excelString(string(r)) + `,"_")`
	}
	t.playFunc = `INDIRECT("` + playNamePrefix + `"&` + expr + ")"
	return nil
}

func (t *templateWriter) writeList(title, name string, values []string) error {
	col := refbatch.ColumnLetters(t.listCol - 1)
	t.listCol++
	cells := append([]string{title}, values...)
	if err := t.f.SetSheetCol(SheetLists, col+"1", &cells); err != nil {
		return err
	}
	return t.f.SetDefinedName(&excelize.DefinedName{
		Name:     name,
		RefersTo: fmt.Sprintf("%s!$%s$2:$%s$%d", SheetLists, col, col, len(values)+1),
	})
}

// playName returns the defined name of an area's plays, noting in replaced
// the runes it had to replace.
func playName(area string, replaced map[rune]bool) string {
	var b strings.Builder
	b.WriteString(playNamePrefix)
	for _, r := range area {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' {
			b.WriteRune(r)
			continue
		}
		replaced[r] = true
		b.WriteByte('_')
	}
	return b.String()
}

// excelString quotes s as an Excel string literal.
func excelString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func dedupe(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// requiredFor says which action needs column c: "create", "update" or "".
func requiredFor(c refbatch.Column) string {
	if slices.Contains(refbatch.RequiredForCreate(), c) {
		return refbatch.ActionCreate
	}
	if slices.Contains(refbatch.RequiredForUpdate(), c) {
		return refbatch.ActionUpdate
	}
	return ""
}

func (t *templateWriter) writeReferrals() error {
	f, sheet := t.f, SheetReferrals
	cols := t.cols
	header := func(color string) (int, error) {
		return f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
			Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "center"},
		})
	}
	plain, err := header(fillHeader)
	if err != nil {
		return err
	}
	reqCreate, err := header(fillRequiredCreate)
	if err != nil {
		return err
	}
	reqUpdate, err := header(fillRequiredUpdate)
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	lastRow := strconv.Itoa(t.rows + 1)
	for i, c := range cols {
		letter := refbatch.ColumnLetters(i)
		cell := letter + "1"
		info := c.Info()
		if c.Kind() == refbatch.KindDate { // before the header's style, which it would replace
			if err := f.SetColStyle(sheet, letter, dateStyle); err != nil {
				return err
			}
		}
		if err := f.SetCellStr(sheet, cell, info.Name); err != nil {
			return err
		}
		style := plain
		switch requiredFor(c) {
		case refbatch.ActionCreate:
			style = reqCreate
			err = f.AddComment(sheet, excelize.Comment{Cell: cell, Author: commentAuthor,
				Paragraph: []excelize.RichTextRun{{Text: "Required to create a referral.\n" + info.Help}}})
		case refbatch.ActionUpdate:
			style = reqUpdate
			err = f.AddComment(sheet, excelize.Comment{Cell: cell, Author: commentAuthor,
				Paragraph: []excelize.RichTextRun{{Text: "Required for updates: the Partner Center referral id. Leave it empty to create a new referral."}}})
		}
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
			return err
		}
		width := float64(min(max(utf8.RuneCountInString(info.Name)+4, 14), 40))
		if c == refbatch.ColNotes || c == refbatch.ColInviteNotes || c == refbatch.ColStatusReason {
			width = 40
		}
		if err := f.SetColWidth(sheet, letter, letter, width); err != nil {
			return err
		}
		dv, err := t.validation(c, letter)
		if err != nil {
			return err
		}
		if dv == nil {
			continue
		}
		dv.Sqref = letter + "2:" + letter + lastRow
		dv.SetInput(truncateUTF16(info.Name, 32), truncateUTF16(info.Help, 255))
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sheet, 1, 20); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// Bounds of the date check: anything a referral can mean.
var (
	firstDate = excelSerial(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	lastDate  = excelSerial(time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC))
)

func excelSerial(t time.Time) int {
	return int(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// validation returns the data validation of column c (in column letter),
// or nil. Every one warns rather than stops: refbatch accepts more spellings
// than a drop-down shows (y, co sell, $30,000), and `refbatch validate` has
// the last word.
// letterOf is the sheet column of c: its place in t.cols, which a pulled
// workbook chooses (not every canonical column).
func (t *templateWriter) letterOf(c refbatch.Column) string {
	return refbatch.ColumnLetters(slices.Index(t.cols, c))
}

func (t *templateWriter) validation(c refbatch.Column, letter string) (*excelize.DataValidation, error) {
	dv := excelize.NewDataValidation(true)
	switch {
	case c == refbatch.ColSolutionPlay && t.dependentPlays() && slices.Contains(t.cols, refbatch.ColSolutionArea):
		area := "$" + t.letterOf(refbatch.ColSolutionArea) + "2"
		dv.SetSqrefDropList(xmlFormula(fmt.Sprintf(t.playFunc, area)))
		dv.SetError(excelize.DataValidationErrorStyleWarning, "Solution Play",
			"Pick a Solution Area first, then one of its plays from the drop-down.")
	case c == refbatch.ColCloseReason && slices.Contains(t.cols, refbatch.ColSubstatus):
		substatus := "$" + t.letterOf(refbatch.ColSubstatus) + "2"
		dv.SetSqrefDropList(xmlFormula(fmt.Sprintf(`IF(%s="%s",%s,%s)`, substatus, refbatch.SubstatusError, closeReasonErrorList, closeReasonList)))
		dv.SetError(excelize.DataValidationErrorStyleWarning, "Close Reason",
			"Not one of Partner Center's reasons for the Substatus: your own words are sent as they are.")
	case c.Kind() == refbatch.KindEnum:
		name, ok := t.lists[c]
		if !ok {
			return nil, nil
		}
		dv.SetSqrefDropList(name)
		dv.SetError(excelize.DataValidationErrorStyleWarning, truncateUTF16(c.String(), 32),
			"Not a known value: pick one from the drop-down. refbatch validate will report it.")
	case c.Kind() == refbatch.KindBool:
		if err := dv.SetDropList([]string{"yes", "no"}); err != nil {
			return nil, err
		}
		dv.SetError(excelize.DataValidationErrorStyleWarning, truncateUTF16(c.String(), 32), "Answer yes or no.")
	case c.Kind() == refbatch.KindDate:
		if err := dv.SetRange(firstDate, lastDate, excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
			return nil, err
		}
		dv.SetError(excelize.DataValidationErrorStyleWarning, truncateUTF16(c.String(), 32),
			"Enter a date between 2000 and 2099, e.g. 2026-03-31.")
	case c.Kind() == refbatch.KindNumber:
		if err := dv.SetRange(0, 0, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorGreaterThanOrEqual); err != nil {
			return nil, err
		}
		dv.Formula2 = ""
		dv.SetError(excelize.DataValidationErrorStyleWarning, truncateUTF16(c.String(), 32),
			"Enter an amount of zero or more, e.g. 30000.")
	default:
		return nil, nil
	}
	return dv, nil
}

// xmlFormula escapes a validation formula for excelize, which writes it as
// raw XML (as its own SetDropList does).
func xmlFormula(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// GuideHeaders are the headers of the Guide sheet's column table.
var GuideHeaders = []string{"Column", "Required", "Kind", "Description", "Also accepted as", "Allowed values"}

func (t *templateWriter) writeGuide() error {
	f, sheet := t.f, SheetGuide
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillHeader}},
	})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	fills := map[string]int{}
	for action, color := range map[string]string{refbatch.ActionCreate: fillRequiredCreate, refbatch.ActionUpdate: fillRequiredUpdate} {
		if fills[action], err = f.NewStyle(&excelize.Style{
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
			Alignment: &excelize.Alignment{Vertical: "top"},
		}); err != nil {
			return err
		}
	}
	intro := []string{
		"One referral per row on the " + SheetReferrals + " sheet. Keep the header row: refbatch finds columns by these names or by the aliases below, so columns you do not need can be deleted or moved.",
		"Orange headers are required to create a referral. The blue header, Referral ID, is required to update one: leave it empty to create a new referral.",
		"Drop-downs offer the accepted values (Solution Play offers the plays of the Solution Area chosen in the same row); they are set on rows 2 to " + strconv.Itoa(t.rows+1) + ". Excel warns about a value outside the list; refbatch reports it as an error.",
		"Dates: an Excel date or 2026-03-31. Amounts: a number, e.g. 30000. Yes/no columns: yes or no. Lists: several values separated by ';'.",
		"Columns of Microsoft's bulk-upload templates read as Partner Center writes them: Sales Stage as a percentage (40%) or a stage, Marketplace Purchase Intent as Yes, No or Have not decided, Close Reason as a code of the Substatus's list (the drop-down) or your own words. Solution n and Team member n are numbered: head them Solution 1, Solution 2… and Team member 1… (up to 50 each).",
		"Check the file before anything is sent:   refbatch validate FILE.xlsx --report report.xlsx   (the report marks every cell to fix, with the reason).",
		"Then load it:   refbatch run FILE.xlsx   (rehearse first with   refbatch run FILE.xlsx --sandbox).",
	}
	intro = append(intro, t.guide...)
	if err := f.SetCellStr(sheet, "A1", "refbatch referral template"); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", title); err != nil {
		return err
	}
	r := 3
	for _, line := range intro {
		if err := f.SetCellStr(sheet, "A"+strconv.Itoa(r), line); err != nil {
			return err
		}
		r++
	}
	r++
	headRow := r
	if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(r), &GuideHeaders); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A"+strconv.Itoa(r), refbatch.CellRef(len(GuideHeaders)-1, r), head); err != nil {
		return err
	}
	for _, c := range t.cols {
		r++
		info := c.Info()
		req := ""
		switch requiredFor(c) {
		case refbatch.ActionCreate:
			req = "to create"
		case refbatch.ActionUpdate:
			req = "to update"
		}
		line := []string{info.Name, req, kindWord(c.Kind()), info.Help, strings.Join(info.Aliases, ", "), t.allowedValues(c)}
		cell := "A" + strconv.Itoa(r)
		if err := f.SetSheetRow(sheet, cell, &line); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, refbatch.CellRef(len(line)-1, r), wrap); err != nil {
			return err
		}
		if req != "" {
			if err := f.SetCellStyle(sheet, cell, cell, fills[requiredFor(c)]); err != nil {
				return err
			}
		}
	}
	for i, w := range []float64{28, 11, 10, 60, 34, 60} {
		letter := refbatch.ColumnLetters(i)
		if err := f.SetColWidth(sheet, letter, letter, w); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: "A" + strconv.Itoa(headRow+1), ActivePane: "bottomLeft"})
}

func kindWord(k refbatch.Kind) string {
	switch k {
	case refbatch.KindEnum:
		return "choice"
	case refbatch.KindBool:
		return "yes/no"
	case refbatch.KindList:
		return "list"
	case refbatch.KindSolution, refbatch.KindMember:
		return "numbered"
	}
	return k.String()
}

// allowedValues describes what column c accepts, for the Guide sheet.
func (t *templateWriter) allowedValues(c refbatch.Column) string {
	switch c {
	case refbatch.ColSalesStage:
		var stages []string
		for _, s := range t.vocabulary(c) {
			if pct := refbatch.SalesStagePercent(s); pct > 0 {
				s += " (" + strconv.Itoa(pct) + "%)"
			}
			stages = append(stages, s)
		}
		return strings.Join(stages, ", ") + "; the percentage alone is read too"
	case refbatch.ColMarketplacePurchaseIntent:
		return strings.Join(t.vocabulary(c), ", ") + " (also Have not decided)"
	case refbatch.ColCloseReason:
		return "a code from the drop-down: Declined or Lost 1 to 8, Error 1 to 9 (" +
			strings.Join(refbatch.CloseReasonCodes(refbatch.SubstatusLost), "; ") + "), or your own words"
	}
	switch c.Kind() {
	case refbatch.KindSolution:
		return `"ID, Currency, Price, Quantity", e.g. "SOL-15974-MQF, USD, 75, 1200" (only the ID is required)`
	case refbatch.KindMember:
		return `"First, Last, phone, email", e.g. "Sue, Smith, 1234567890, sue@contoso.com"`
	case refbatch.KindEnum:
		if c == refbatch.ColSolutionPlay && t.dependentPlays() {
			return "depends on the Solution Area: see drop-down"
		}
		values := t.vocabulary(c)
		if len(values) == 0 {
			return "checked against the reference tables by refbatch validate"
		}
		if s := strings.Join(values, ", "); utf8.RuneCountInString(s) <= 120 {
			return s
		}
		return fmt.Sprintf("see drop-down (%d values)", len(values))
	case refbatch.KindBool:
		return "yes, no (also y/n, true/false, 1/0, x)"
	case refbatch.KindDate:
		return "a date, e.g. 2026-03-31 (also 3/31/2026)"
	case refbatch.KindNumber:
		return "a number ≥ 0, e.g. 30000 or 30,000.50"
	case refbatch.KindList:
		return "values separated by ';'"
	}
	return ""
}
