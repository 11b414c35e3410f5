package exporter

import (
	"bufio"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/refbatch/refbatch"
)

// Output formats, chosen by the extension of the output path.
const (
	FormatXLSX = ".xlsx"
	FormatCSV  = ".csv"
	FormatJSON = ".json"
)

// ReportFormat returns the format of a report path (FormatXLSX, FormatCSV
// or FormatJSON), or an error wrapping refbatch.ErrUsage for any other
// extension, so a command can reject a bad --report before reading input.
func ReportFormat(path string) (string, error) { return outputFormat("report", path) }

// ResultsFormat is ReportFormat for a results export: a command can reject a
// bad --out before opening the journal.
func ResultsFormat(path string) (string, error) { return outputFormat("results", path) }

func outputFormat(what, path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case FormatXLSX, FormatCSV, FormatJSON:
		return ext, nil
	}
	if ext == "" {
		return "", fmt.Errorf("%w: %s %q has no extension: use .xlsx, .csv or .json", refbatch.ErrUsage, what, path)
	}
	return "", fmt.Errorf("%w: %s %q: unknown format %q: use .xlsx, .csv or .json", refbatch.ErrUsage, what, path, ext)
}

// output is what a Report and a Results share: a file written row by row
// under a temporary name (atomicFile), rows accepted in file order after the
// header, and a single ending, Close or Abort.
type output struct {
	what    string // "report", "results": names the file in errors
	path    string
	work    *workDir // every temporary file of the write, removed at the end
	file    *atomicFile
	w       *bufio.Writer // over file; formats that stream write here
	lastRow int
	done    bool
}

// openOutput checks path and header and creates the temporary file; it
// returns the format the path's extension names.
func openOutput(what, path string, header *refbatch.Header) (*output, string, error) {
	format, err := outputFormat(what, path)
	if err != nil {
		return nil, "", err
	}
	if header == nil {
		return nil, "", fmt.Errorf("%s %s: no header", what, path)
	}
	work, err := openWorkDir(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", what, path, err)
	}
	file, err := createAtomic(path, work)
	if err != nil {
		work.remove()
		return nil, "", fmt.Errorf("%s %s: %w", what, path, err)
	}
	o := &output{what: what, path: path, work: work, file: file, w: bufio.NewWriterSize(file, 256<<10), lastRow: header.Row}
	return o, format, nil
}

// nextRow accepts row if the output is open and the row follows the last
// one; the caller aborts on error.
func (o *output) nextRow(row *refbatch.Row) error {
	switch {
	case o.done:
		return errors.New("already closed")
	case row == nil:
		return errors.New("nil row")
	case row.Number <= o.lastRow:
		return fmt.Errorf("row %d after row %d: rows must arrive in file order, after the header", row.Number, o.lastRow)
	}
	o.lastRow = row.Number
	return nil
}

// finish has write complete the file, then renames it into place. After an
// error the caller aborts; a failed rename leaves nothing behind anyway.
func (o *output) finish(write func(w *bufio.Writer) error) error {
	if o.done {
		return errors.New("already closed")
	}
	err := write(o.w)
	if err == nil {
		err = o.w.Flush()
	}
	if err != nil {
		return err
	}
	o.done = true
	return o.file.commit()
}

// discard drops the temporary file and the work directory. The file is
// kept once committed; the directory goes in any case, so callers call
// discard at the end of every write, once what they wrote there is closed.
func (o *output) discard() error {
	o.done = true
	err := o.file.discard()
	o.work.remove()
	return err
}

func (o *output) wrap(err error) error { return fmt.Errorf("%s %s: %w", o.what, o.path, err) }
