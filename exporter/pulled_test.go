package exporter_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/exporter"
)

// TestPulledWorkbookDropDowns: a pulled workbook's Solution Play drop-down
// reads the Solution Area of its own row, in the pulled layout's column
// (not the template's), and its header and hidden columns are as
// PulledHeaders says.
func TestPulledWorkbookDropDowns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pulled.xlsx")
	p, err := exporter.NewPulled(path, exporter.TemplateOptions{Plays: []exporter.AreaPlays{{Area: "AI Business Solutions", Plays: []string{"Copilot"}}}})
	if err != nil {
		t.Fatal(err)
	}
	row := &refbatch.Row{ReferralID: "R1", Name: "Deal"}
	row.Filled = row.Filled.With(refbatch.ColReferralID).With(refbatch.ColName)
	if err := p.Write(exporter.PulledRow{Row: row}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head, err := f.GetRows(exporter.SheetPulled)
	if err != nil || !slices.Equal(head[0], exporter.PulledHeaders()) {
		t.Fatalf("header %v (%v), want %v", head[0], err, exporter.PulledHeaders())
	}
	cols := refbatch.PulledColumns()
	area := refbatch.ColumnLetters(slices.Index(cols, refbatch.ColSolutionArea))
	play := refbatch.ColumnLetters(slices.Index(cols, refbatch.ColSolutionPlay))
	dvs, err := f.GetDataValidations(exporter.SheetPulled)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, dv := range dvs {
		if strings.HasPrefix(dv.Sqref, play+"2:") {
			found = true
			if !strings.Contains(dv.Formula1, "$"+area+"2") {
				t.Errorf("Solution Play's drop-down %q does not read the Solution Area column %s", dv.Formula1, area)
			}
		}
	}
	if !found {
		t.Errorf("no drop-down on Solution Play (column %s)", play)
	}
}

// TestPulledFactColumns: the read-only columns the exporter writes are the
// ones the importer recognises as read-only (refbatch.PulledFactHeaders).
func TestPulledFactColumns(t *testing.T) {
	if got := exporter.FactHeaders(); !slices.Equal(got, refbatch.PulledFactHeaders) {
		t.Errorf("exporter writes %v, importer recognises %v", got, refbatch.PulledFactHeaders)
	}
}
