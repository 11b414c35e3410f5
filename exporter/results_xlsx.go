package exporter

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// xlsxResults streams the rows to the "Results" sheet with the input's
// geometry (inputSheet) and the result columns right of the header.
type xlsxResults struct {
	*inputSheet
	outcomeStyle map[refbatch.Outcome]int
}

// resultColumns are the result columns with their widths: IDs are GUIDs.
var resultColumns = []addedColumn{
	{OutcomeHeader, 16}, {ReferralIDHeader, 38}, {EngagementIDHeader, 38},
	{MicrosoftReferralIDHeader, 38}, {ErrorHeader, 60}, {ClientRequestIDHeader, 38},
	{MicrosoftStatusHeader, 28}, {RegistrationStatusHeader, 28},
}

func newXLSXResults(h *refbatch.Header, wd *workDir) (*xlsxResults, error) {
	first, last := refbatch.ColumnLetters(len(h.Names)), refbatch.ColumnLetters(len(h.Names)+len(resultColumns)-1)
	note := fmt.Sprintf("Results of %s: rows and cells as in the input; outcome, Partner Center IDs and errors in columns %s to %s; counts on the %s sheet.",
		filepath.Base(h.File), first, last, SheetSummary)
	sheet, err := newInputSheet(h, SheetResults, note, resultColumns, wd, categoryResults)
	if err != nil {
		return nil, err
	}
	x := &xlsxResults{inputSheet: sheet, outcomeStyle: map[refbatch.Outcome]int{}}
	styles := map[string]int{}
	for _, o := range refbatch.Outcomes() {
		fill, font := outcomeColors(o)
		id, ok := styles[fill]
		if !ok {
			if id, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: font}, Fill: solidFill(fill)}); err != nil {
				x.discard()
				return nil, err
			}
			styles[fill] = id
		}
		x.outcomeStyle[o] = id
	}
	return x, nil
}

// outcomeColors returns the fill and font of an Outcome cell: Excel's
// "Good" for a row done, "Bad" for a failure, "Neutral" for a row that
// still needs someone (fixed and run again, reconciled, resumed) or was
// not loaded (a total row: were it a referral, it needs an id).
func outcomeColors(o refbatch.Outcome) (fill, font string) {
	switch o {
	case refbatch.OutcomeFailed:
		return fillError, fontError
	case refbatch.OutcomeSkippedInvalid, refbatch.OutcomeNotLoaded, refbatch.OutcomeInDoubt, refbatch.OutcomePending, refbatch.OutcomeWaiting:
		return fillWarning, fontWarning
	}
	return fillGood, fontGood
}

// outcomeCell is the value of an Outcome cell, coloured when the outcome is
// known.
func (x *xlsxResults) outcomeCell(o refbatch.Outcome) any {
	if o == "" {
		return nil
	}
	if style, ok := x.outcomeStyle[o]; ok {
		return excelize.Cell{StyleID: style, Value: string(o)}
	}
	return string(o)
}

func (x *xlsxResults) writeRow(row *refbatch.Row, res *RowResult) error {
	vals, err := x.rowValues(row, lookPlain)
	if err != nil {
		return err
	}
	for i, v := range res.fields() {
		if v != "" {
			vals[x.width+i] = v // an inline string, never a formula
		}
	}
	vals[x.width] = x.outcomeCell(res.Outcome)
	return x.setRow(row.Number, vals)
}

func (x *xlsxResults) finish(w io.Writer, h *refbatch.Header, counts outcomeCounts) error {
	defer x.discard()
	if err := x.autoFilter(); err != nil {
		return err
	}
	if err := x.sw.Flush(); err != nil {
		return err
	}
	total := 0
	var table [][]any
	for _, c := range counts {
		total += c.N
		table = append(table, []any{styled{string(c.Outcome), x.outcomeStyle[c.Outcome]}, c.N})
	}
	lines := append(inputLines(h), summaryLine{"", nil}, summaryLine{"Rows", total})
	if err := x.writeSummarySheet("refbatch results", lines, []string{"Outcome", "Rows"}, table); err != nil {
		return err
	}
	// Results, the first sheet, is active from NewFile on; SetActiveSheet
	// would read the streamed sheet back into memory.
	_, err := writeDirect(x.f, w, newFastZipWriter)
	return err
}
