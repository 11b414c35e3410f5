package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/refbatch/refbatch"
	"github.com/xuri/excelize/v2"
)

// Limits against zip bombs: the whole workbook may unzip to 1 GiB; a sheet
// or the shared strings larger than 16 MiB are unzipped to a temporary file
// instead of memory (excelize's default), so memory stays flat.
const (
	unzipSizeLimit    = 1 << 30
	unzipXMLSizeLimit = 16 << 20
)

// rawCells makes excelize return what a cell stores (a date cell's serial
// number, not its formatted text): twice as fast, and exact.
var rawCells = excelize.Options{RawCellValue: true}

// xlsxSource streams one worksheet with excelize's Rows iterator. Rows.Next
// steps through every row number, including the ones absent from the sheet's
// XML (for those Columns returns nil), so counting Next calls gives the
// sheet's real row numbers.
type xlsxSource struct {
	file     string
	book     *excelize.File
	rows     *excelize.Rows
	name     string
	row      int
	date1904 bool
}

func openXLSX(path string, opts Options) (src *xlsxSource, err error) {
	// excelize is not hardened against every malformed workbook; a panic
	// in it must not take the run down.
	defer func() {
		if p := recover(); p != nil {
			if src != nil && src.book != nil {
				src.book.Close()
			}
			src, err = nil, &refbatch.InputError{File: path, Err: fmt.Errorf("is not a readable Excel workbook (malformed: %v)", p)}
		}
	}()
	inputErr := func(msg string) error {
		return &refbatch.InputError{File: path, Err: errors.New(msg)}
	}
	// Check the zip directory first: a truncated or non-zip file, and a
	// zip bomb, get a clear message instead of excelize's.
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, inputErr("is not a readable Excel workbook (corrupt or truncated): " + err.Error())
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	zr.Close()
	if total > unzipSizeLimit {
		return nil, inputErr("unzips to more than 1 GiB (" + strconv.FormatUint(total>>20, 10) + " MiB): refusing it as a possible zip bomb")
	}

	book, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: unzipSizeLimit, UnzipXMLSizeLimit: unzipXMLSizeLimit})
	if err != nil {
		if book != nil {
			book.Close()
		}
		return nil, inputErr("is not a readable Excel workbook (corrupt or truncated): " + err.Error())
	}
	src = &xlsxSource{file: path, book: book}
	props, err := book.GetWorkbookProps()
	if err != nil {
		book.Close()
		return nil, inputErr("is not a readable Excel workbook: " + err.Error())
	}
	src.date1904 = props.Date1904 != nil && *props.Date1904

	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		book.Close()
		return nil, inputErr("has no worksheets")
	}
	src.name = sheets[0]
	if opts.Sheet != "" {
		src.name = ""
		for _, s := range sheets {
			if s == opts.Sheet {
				src.name = s
				break
			}
		}
		if src.name == "" {
			for _, s := range sheets {
				if strings.EqualFold(s, strings.TrimSpace(opts.Sheet)) {
					src.name = s
					break
				}
			}
		}
		if src.name == "" {
			book.Close()
			quoted := make([]string, len(sheets))
			for i, s := range sheets {
				quoted[i] = strconv.Quote(s)
			}
			return nil, inputErr("has no sheet " + strconv.Quote(opts.Sheet) + "; its sheets are " + strings.Join(quoted, ", "))
		}
	}
	if src.rows, err = book.Rows(src.name); err != nil {
		book.Close()
		return nil, inputErr("sheet " + strconv.Quote(src.name) + " cannot be read: " + err.Error())
	}
	return src, nil
}

// next returns the row's cells as excelize allocated them; dst is unused.
func (x *xlsxSource) next(dst []string) (cells []string, row int, err error) {
	defer func() {
		if p := recover(); p != nil {
			cells, row, err = nil, 0, &refbatch.InputError{File: x.file, Row: x.row, Err: fmt.Errorf("sheet %q is malformed: %v", x.name, p)}
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, 0, &refbatch.InputError{File: x.file, Row: x.row + 1, Err: errors.New("sheet " + strconv.Quote(x.name) + ": " + err.Error())}
		}
		return nil, 0, io.EOF
	}
	x.row++
	cells, err = x.rows.Columns(rawCells)
	if err != nil {
		return nil, 0, &refbatch.InputError{File: x.file, Row: x.row, Err: errors.New("sheet " + strconv.Quote(x.name) + ": " + err.Error())}
	}
	for i, c := range cells {
		if len(c) > maxCellChars && tooLongForExcel(c) {
			return nil, 0, &refbatch.InputError{File: x.file, Row: x.row, Column: refbatch.CellRef(i, x.row),
				Err: errors.New("the cell is longer than Excel's limit of 32,767 characters")}
		}
		if !utf8.ValidString(c) {
			return nil, 0, &refbatch.InputError{File: x.file, Row: x.row, Column: refbatch.CellRef(i, x.row),
				Err: errors.New("the text is not valid UTF-8")}
		}
	}
	return cells, x.row, nil
}

func (x *xlsxSource) sheet() string { return x.name }

func (x *xlsxSource) close() error {
	err := x.rows.Close()
	if cerr := x.book.Close(); err == nil {
		err = cerr
	}
	return err
}

// tidyRawNumber turns a raw numeric cell in a text column back into the
// digits a user typed: a workbook may store 1234.56 as 1234.5599999999999.
// Only such long plain decimals are touched; text with an exponent (1E5
// could be a product code) is left as it is.
func tidyRawNumber(s string) string {
	if len(s) < 17 || strings.IndexByte(s, '.') < 0 || strings.IndexAny(s, "Ee") >= 0 || !isPlainNumber(s) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(v) >= 1e15 {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
