package exporter

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

func testTemplateOptions() TemplateOptions {
	return TemplateOptions{
		Vocabulary: map[refbatch.Column][]string{
			refbatch.ColCountry:     {"US", "DE", "FR", "GB", "KR"},
			refbatch.ColCurrency:    {"USD", "EUR", "usd"}, // duplicate by FoldKey
			refbatch.ColPartnerRole: {"Presales envisioning", "Solution design"},
			refbatch.ColDealType:    {"Co-sell"}, // already fixed
		},
		Plays: []AreaPlays{
			{Area: "Data and AI", Plays: []string{"Power Business Decisions with Cloud Scale Analytics", "Build and Modernize AI Apps"}},
			{Area: "Infrastructure", Plays: []string{"Migrate SAP", "Innovate with HPC, AI Infrastructure"}},
			{Area: "Security & Compliance", Plays: []string{"Data Security"}},
		},
	}
}

// templateColumn returns the letter of canonical column c in the template.
func templateColumn(c refbatch.Column) string {
	return refbatch.ColumnLetters(slices.Index(refbatch.Columns(), c))
}

func TestWriteTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.xlsx")
	if err := WriteTemplate(path, testTemplateOptions()); err != nil {
		t.Fatal(err)
	}
	f := openXLSX(t, path)
	if got := f.GetSheetList(); strings.Join(got, ",") != "Referrals,Guide,Lists" {
		t.Fatalf("sheets %v", got)
	}
	if visible, _ := f.GetSheetVisible(SheetLists); visible {
		t.Error("Lists sheet visible")
	}

	t.Run("headers re-import", func(t *testing.T) {
		rows, err := f.GetRows(SheetReferrals)
		if err != nil {
			t.Fatal(err)
		}
		cols := refbatch.Columns()
		if len(rows) != 1 || len(rows[0]) != len(cols) {
			t.Fatalf("rows %v", rows)
		}
		for i, c := range cols {
			if rows[0][i] != c.String() {
				t.Errorf("header %d = %q, want %q", i, rows[0][i], c)
			}
			if got, ok := refbatch.ColumnByName(rows[0][i]); !ok || got != c {
				t.Errorf("header %q maps to %v", rows[0][i], got)
			}
		}
		panes, _ := f.GetPanes(SheetReferrals)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("panes %+v", panes)
		}
		st, _ := f.GetCellStyle(SheetReferrals, "A1")
		if style, _ := f.GetStyle(st); style.Font == nil || !style.Font.Bold {
			t.Error("header not bold")
		}
	})

	t.Run("required columns", func(t *testing.T) {
		comments, err := f.GetComments(SheetReferrals)
		if err != nil {
			t.Fatal(err)
		}
		commented := map[string]string{}
		for _, c := range comments {
			for _, p := range c.Paragraph {
				commented[c.Cell] += p.Text
			}
		}
		for _, c := range refbatch.Columns() {
			cell := templateColumn(c) + "1"
			var wantFill, wantComment string
			switch {
			case slices.Contains(refbatch.RequiredForCreate(), c):
				wantFill, wantComment = fillRequiredCreate, "Required to create"
			case c == refbatch.ColReferralID:
				wantFill, wantComment = fillRequiredUpdate, "Required for updates"
			default:
				wantFill = fillHeader
			}
			if got := fillColor(t, f, SheetReferrals, cell); got != wantFill {
				t.Errorf("%s (%v) fill %q, want %q", cell, c, got, wantFill)
			}
			if got := commented[cell]; !strings.HasPrefix(got, wantComment) || (wantComment == "") != (got == "") {
				t.Errorf("%s (%v) comment %q, want %q…", cell, c, got, wantComment)
			}
		}
	})

	t.Run("data validations", func(t *testing.T) {
		dvs, err := f.GetDataValidations(SheetReferrals)
		if err != nil {
			t.Fatal(err)
		}
		bySqref := map[string]*excelize.DataValidation{}
		for _, dv := range dvs {
			bySqref[dv.Sqref] = dv
		}
		sq := func(c refbatch.Column) string { l := templateColumn(c); return l + "2:" + l + "1001" }
		for _, tc := range []struct {
			col              refbatch.Column
			typ, op, formula string
		}{
			{refbatch.ColAction, "list", "", "List_Action"},
			{refbatch.ColDealType, "list", "", "List_DealType"},
			{refbatch.ColCountry, "list", "", "List_Country"},
			{refbatch.ColCurrency, "list", "", "List_Currency"},
			{refbatch.ColContractCurrency, "list", "", "List_ContractCurrency"},
			{refbatch.ColSolutionArea, "list", "", "List_SolutionArea"},
			{refbatch.ColSolutionPlay, "list", "", `INDIRECT("Play_"&SUBSTITUTE(SUBSTITUTE($` + templateColumn(refbatch.ColSolutionArea) + `2," ","_"),"&","_"))`},
			{refbatch.ColMicrosoftReferralStatus, "list", "", "List_MicrosoftReferralStatus"},
			{refbatch.ColRegisterDeal, "list", "", `"yes,no"`},
			{refbatch.ColHelpNeeded, "list", "", `"yes,no"`},
			{refbatch.ColClosingDate, "date", "between", "36526"},
			{refbatch.ColContractEndDate, "date", "between", "36526"},
			{refbatch.ColDealValue, "decimal", "greaterThanOrEqual", "0"},
			{refbatch.ColContractValue, "decimal", "greaterThanOrEqual", "0"},
		} {
			dv := bySqref[sq(tc.col)]
			if dv == nil {
				t.Errorf("%v: no validation on %s", tc.col, sq(tc.col))
				continue
			}
			if dv.Type != tc.typ || dv.Operator != tc.op || dv.Formula1 != tc.formula {
				t.Errorf("%v: %s %s %q, want %s %s %q", tc.col, dv.Type, dv.Operator, dv.Formula1, tc.typ, tc.op, tc.formula)
			}
			if !dv.AllowBlank || !dv.ShowErrorMessage || !dv.ShowInputMessage || dv.Prompt == nil || *dv.Prompt == "" {
				t.Errorf("%v: blank %v, error %v, prompt %v", tc.col, dv.AllowBlank, dv.ShowErrorMessage, dv.Prompt)
			}
		}
		// No drop-down without values (ContractTerm has no vocabulary here)
		// and none on free text.
		for _, c := range []refbatch.Column{refbatch.ColContractTerm, refbatch.ColName, refbatch.ColNotes} {
			if dv := bySqref[sq(c)]; dv != nil {
				t.Errorf("%v has validation %+v", c, dv)
			}
		}
		for _, c := range refbatch.Columns() {
			if (c.Kind() == refbatch.KindBool || c.Kind() == refbatch.KindDate || c.Kind() == refbatch.KindNumber) && bySqref[sq(c)] == nil {
				t.Errorf("%v (%v) has no validation", c, c.Kind())
			}
		}
	})

	t.Run("lists and defined names", func(t *testing.T) {
		names := map[string]string{}
		for _, n := range f.GetDefinedName() {
			names[n.Name] = n.RefersTo
		}
		for name, want := range map[string][]string{
			"List_Action":                {"create", "update"},
			"List_DealType":              {"Private", "Partner-led", "Co-sell"},
			"List_Currency":              {"USD", "EUR"},
			"List_ContractCurrency":      {"USD", "EUR"},
			"List_SolutionArea":          {"Data and AI", "Infrastructure", "Security & Compliance"},
			"Play_Data_and_AI":           {"Power Business Decisions with Cloud Scale Analytics", "Build and Modernize AI Apps"},
			"Play_Infrastructure":        {"Migrate SAP", "Innovate with HPC, AI Infrastructure"},
			"Play_Security___Compliance": {"Data Security"},
		} {
			ref, ok := names[name]
			if !ok {
				t.Errorf("no defined name %s", name)
				continue
			}
			sheet, rng, _ := strings.Cut(ref, "!")
			if sheet != SheetLists {
				t.Errorf("%s refers to %s", name, ref)
				continue
			}
			from, to, _ := strings.Cut(strings.ReplaceAll(rng, "$", ""), ":")
			col, r1, err := excelize.CellNameToCoordinates(from)
			if err != nil {
				t.Fatal(err)
			}
			_, r2, err := excelize.CellNameToCoordinates(to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for r := r1; r <= r2; r++ {
				cell, _ := excelize.CoordinatesToCellName(col, r)
				got = append(got, cellValue(t, f, SheetLists, cell))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s (%s) = %q, want %q", name, ref, got, want)
			}
		}
		// Every Play_ name is what the INDIRECT formula makes of its area.
		for _, ap := range testTemplateOptions().Plays {
			formulaName := "Play_" + strings.NewReplacer(" ", "_", "&", "_").Replace(ap.Area)
			if _, ok := names[formulaName]; !ok {
				t.Errorf("area %q: formula looks up %s, not defined", ap.Area, formulaName)
			}
		}
	})

	t.Run("guide", func(t *testing.T) {
		rows, err := f.GetRows(SheetGuide)
		if err != nil {
			t.Fatal(err)
		}
		text := ""
		head := -1
		for i, r := range rows {
			text += strings.Join(r, " ") + "\n"
			if len(r) > 0 && r[0] == "Column" {
				head = i
			}
		}
		if !strings.Contains(text, "refbatch validate") {
			t.Error("guide does not say how to run refbatch validate")
		}
		if head < 0 || !slices.Equal(rows[head], GuideHeaders) {
			t.Fatalf("no column table header in guide")
		}
		lines := map[string][]string{}
		for _, r := range rows[head+1:] {
			lines[r[0]] = append(r, make([]string, len(GuideHeaders))...)[:len(GuideHeaders)]
		}
		if len(lines) != len(refbatch.Columns()) {
			t.Errorf("guide lists %d columns, want %d", len(lines), len(refbatch.Columns()))
		}
		for name, want := range map[string][]string{
			"Name":          {"Name", "to create", "text", refbatch.ColName.Info().Help, "Opportunity Name, Deal Name, Referral Name, Opportunity, Topic", ""},
			"Referral ID":   {"Referral ID", "to update", "text", refbatch.ColReferralID.Info().Help, "ID, Partner Center ID", ""},
			"Deal Type":     {"Deal Type", "to create", "choice", refbatch.ColDealType.Info().Help, "Deal Kind", "Private, Partner-led, Co-sell"},
			"Solution Play": {"Solution Play", "", "choice", refbatch.ColSolutionPlay.Info().Help, "", "depends on the Solution Area: see drop-down"},
			"Contract Term": {"Contract Term", "", "choice", refbatch.ColContractTerm.Info().Help, "", "checked against the reference tables by refbatch validate"},
			"Register Deal": {"Register Deal", "", "yes/no", refbatch.ColRegisterDeal.Info().Help, "", "yes, no (also y/n, true/false, 1/0, x)"},
		} {
			if !slices.Equal(lines[name], want) {
				t.Errorf("guide line %q = %q\nwant %q", name, lines[name], want)
			}
		}
	})
}

func TestWriteTemplateOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    TemplateOptions
		wantErr string
		check   func(t *testing.T, f *excelize.File)
	}{
		{name: "rows", opts: TemplateOptions{Rows: 10}, check: func(t *testing.T, f *excelize.File) {
			dvs, _ := f.GetDataValidations(SheetReferrals)
			l := templateColumn(refbatch.ColDealType)
			if !slices.ContainsFunc(dvs, func(dv *excelize.DataValidation) bool { return dv.Sqref == l+"2:"+l+"11" }) {
				t.Errorf("no Deal Type validation on %s2:%s11", l, l)
			}
		}},
		{name: "flat plays without areas", opts: TemplateOptions{Vocabulary: map[refbatch.Column][]string{
			refbatch.ColSolutionPlay: {"Migrate SAP"},
		}}, check: func(t *testing.T, f *excelize.File) {
			dvs, _ := f.GetDataValidations(SheetReferrals)
			if !slices.ContainsFunc(dvs, func(dv *excelize.DataValidation) bool { return dv.Formula1 == "List_SolutionPlay" }) {
				t.Error("Solution Play has no flat list")
			}
		}},
		{name: "long list", opts: TemplateOptions{Vocabulary: map[refbatch.Column][]string{
			refbatch.ColCountry: strings.Split(strings.Repeat("XX,", 300)+"ZZ", ","),
		}}},
		{name: "area names collide", opts: TemplateOptions{Plays: []AreaPlays{
			{Area: "Data & AI", Plays: []string{"x"}}, {Area: "Data - AI", Plays: []string{"y"}},
		}}, wantErr: `"Data & AI" and "Data - AI" both become the Excel name Play_Data___AI`},
		{name: "negative rows", opts: TemplateOptions{Rows: -1}, wantErr: "rows -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "t.xlsx")
			err := WriteTemplate(path, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				if names := dirNames(t, dir); len(names) != 0 {
					t.Errorf("left %v", names)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"t.xlsx"}) {
				t.Errorf("directory holds %v", names)
			}
			if tc.check != nil {
				tc.check(t, openXLSX(t, path))
			}
		})
	}
}

// TestTemplateBulkTemplateColumns reads a written template back for the
// columns Microsoft's bulk-upload templates add: a drop-down where the values
// are enumerated and a line on the Guide sheet for each.
func TestTemplateBulkTemplateColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.xlsx")
	if err := WriteTemplate(path, testTemplateOptions()); err != nil {
		t.Fatal(err)
	}
	f := openXLSX(t, path)

	dvs, err := f.GetDataValidations(SheetReferrals)
	if err != nil {
		t.Fatal(err)
	}
	bySqref := map[string]*excelize.DataValidation{}
	for _, dv := range dvs {
		bySqref[dv.Sqref] = dv
	}
	sq := func(c refbatch.Column) string { l := templateColumn(c); return l + "2:" + l + "1001" }
	names := map[string]string{}
	for _, n := range f.GetDefinedName() {
		names[n.Name] = n.RefersTo
	}
	listValues := func(name string) []string {
		t.Helper()
		ref, ok := names[name]
		if !ok {
			t.Fatalf("no defined name %s", name)
		}
		_, rng, _ := strings.Cut(strings.ReplaceAll(ref, "$", ""), "!")
		from, to, _ := strings.Cut(rng, ":")
		col, r1, err := excelize.CellNameToCoordinates(from)
		if err != nil {
			t.Fatal(err)
		}
		_, r2, err := excelize.CellNameToCoordinates(to)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for r := r1; r <= r2; r++ {
			cell, _ := excelize.CoordinatesToCellName(col, r)
			out = append(out, cellValue(t, f, SheetLists, cell))
		}
		return out
	}

	substatus := "$" + templateColumn(refbatch.ColSubstatus) + "2"
	for _, tc := range []struct {
		col     refbatch.Column
		formula string
		values  []string // of the defined name the formula is, when it is one
	}{
		{refbatch.ColMarketplacePurchaseIntent, "List_MarketplacePurchaseIntent", []string{"Yes", "No", "HaveNotDecided"}},
		{refbatch.ColSalesStage, "List_SalesStage", []string{"Created", "Qualify", "Develop", "Propose", "Close", "Won"}},
		{refbatch.ColRegistrationType, "List_RegistrationType", []string{"AzureIPCoSell"}},
		{refbatch.ColSolutionCurrency, "List_SolutionCurrency", []string{"USD", "EUR"}},
		{refbatch.ColCloseReason, `IF(` + substatus + `="Error",List_CloseReasonError,List_CloseReason)`, nil},
		{refbatch.ColSolutionValue, "0", nil},
	} {
		dv := bySqref[sq(tc.col)]
		if dv == nil {
			t.Errorf("%v: no validation on %s", tc.col, sq(tc.col))
			continue
		}
		if dv.Formula1 != tc.formula {
			t.Errorf("%v: formula %q, want %q", tc.col, dv.Formula1, tc.formula)
		}
		if dv.ErrorStyle == nil || *dv.ErrorStyle != "warning" {
			t.Errorf("%v: error style %v, want warning", tc.col, dv.ErrorStyle)
		}
		if tc.values != nil {
			if got := listValues(tc.formula); !slices.Equal(got, tc.values) {
				t.Errorf("%v: list %q, want %q", tc.col, got, tc.values)
			}
		}
	}
	// Free text stays free.
	for _, c := range []refbatch.Column{refbatch.ColMarketingCampaignID, refbatch.ColDUNSID, refbatch.ColPartnerID} {
		if dv := bySqref[sq(c)]; dv != nil {
			t.Errorf("%v has validation %+v", c, dv)
		}
	}
	// The close reasons are offered as the code and its text, which
	// refbatch.CloseReasonText reads back as the reason of that code.
	for _, l := range []struct{ name, substatus string }{{"List_CloseReason", "Lost"}, {"List_CloseReasonError", "Error"}} {
		values := listValues(l.name)
		if len(values) < 8 {
			t.Fatalf("%s: %q", l.name, values)
		}
		for i, v := range values {
			code := strconv.Itoa(i + 1)
			want, _ := refbatch.CloseReasonText(l.substatus, code)
			if got, ok := refbatch.CloseReasonText(l.substatus, v); !ok || got != want || !strings.HasPrefix(v, code+" - ") {
				t.Errorf("%s: %q reads as %q, %v; want code %s, %q", l.name, v, got, ok, code, want)
			}
		}
	}

	rows, err := f.GetRows(SheetGuide)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	intro := ""
	for _, r := range rows {
		if len(r) > 0 {
			lines[r[0]] = append(r, make([]string, len(GuideHeaders))...)[:len(GuideHeaders)]
			intro += r[0] + "\n"
		}
	}
	if !strings.Contains(intro, "Solution 1, Solution 2") || !strings.Contains(intro, "Sales Stage as a percentage") {
		t.Errorf("guide does not introduce the bulk template columns:\n%s", intro)
	}
	for _, tc := range []struct {
		col          refbatch.Column
		kind         string
		allowedParts []string
	}{
		{refbatch.ColMarketplacePurchaseIntent, "choice", []string{"Yes, No, HaveNotDecided", "Have not decided"}},
		{refbatch.ColSalesStage, "choice", []string{"Qualify (20%)", "Develop (40%)", "Propose (60%)", "Close (80%)", "Won (100%)"}},
		{refbatch.ColMarketingCampaignID, "text", nil},
		{refbatch.ColDUNSID, "text", nil},
		{refbatch.ColPartnerID, "text", nil},
		{refbatch.ColCloseReason, "text", []string{"Declined or Lost 1 to 8", "3 - Customer chose another vendor", "your own words"}},
		{refbatch.ColSolutions, "numbered", []string{"ID, Currency, Price, Quantity"}},
		{refbatch.ColTeamMembers, "numbered", []string{"First, Last, phone, email"}},
		{refbatch.ColSolutionValue, "number", []string{"a number"}},
		{refbatch.ColSolutionCurrency, "choice", []string{"USD, EUR"}},
		{refbatch.ColRegistrationType, "choice", []string{"AzureIPCoSell"}},
	} {
		info := tc.col.Info()
		line, ok := lines[info.Name]
		if !ok {
			t.Errorf("no guide line for %s", info.Name)
			continue
		}
		if line[2] != tc.kind || line[3] != info.Help || line[4] != strings.Join(info.Aliases, ", ") {
			t.Errorf("guide line %q = %q", info.Name, line)
		}
		for _, part := range tc.allowedParts {
			if !strings.Contains(line[5], part) {
				t.Errorf("guide line %q: allowed values %q lack %q", info.Name, line[5], part)
			}
		}
	}
}
