// Package importer reads the spreadsheets sales teams send, .xlsx workbooks
// and CSV files, into typed refbatch.Rows (SPEC §3).
//
// It owns everything between the file and the Row: telling a workbook from
// CSV by content rather than name, finding the header row under title rows,
// mapping headers to canonical columns (built-in aliases plus a --mapping
// file, see LoadMapping), and reading each cell as its column's kind:
// trimmed text, enums in canonical spelling, amounts with grouping and
// currency, dates in the formats and serial numbers Excel produces,
// booleans and lists. A cell that does not parse becomes a Finding (rule
// "value" or "date") and is marked in Row.Invalid; deciding whether a valid
// value is acceptable (an unknown country, a date in the past) is the rules
// package's job. A file that cannot be read as a whole (corrupt, truncated,
// a bad zip checksum or stated size, malformed sheet XML, not what its name
// says, no header, a zip bomb…) is one *refbatch.InputError naming the file
// and the last row read whole: never a partial read reported as complete.
// What sales teams do to a sheet is forgiven with a finding: a note beside
// the table (RuleStrayCell, warning), an unreadable cell (invalid UTF-8,
// over 32,767 characters: refbatch.RuleValue, error), hidden rows (skipped,
// one RuleHiddenRows warning with the last row returned,
// Options.IncludeHidden checks them), total rows (returned in their place
// with Row.NotLoaded set and a RuleTotalRow warning of their own, so that
// reports keep every row; their values are not read into findings).
//
// # Workbooks
//
// Workbooks are read by this package's own streaming reader (xlsx.go,
// xmlscan.go) over archive/zip, not by excelize, whose row iterator dropped
// XML errors and skipped the zip checksum. Every part used is read to its
// end, so zip verifies its size and CRC-32; the XML scanner is strict
// (matched tags, closed root, known entities, no DOCTYPE); cells out of
// order or repeated are errors naming the sheet, row and cell. It reads
// shared, inline and rich strings, cached formula values (a SUM or SUBTOTAL
// marks a total row), the 1904 date system, hidden rows, and each cell's
// number format from styles.xml, which fills Row.Cells (dates known as
// dates, amounts with their format) for reports. The sheet is unzipped in
// a goroutine of its own and scanned as it arrives; only the shared strings
// are held in memory.
//
// Row numbers are the spreadsheet's own: for a workbook the sheet's row
// numbers (the r attribute of each <row>); for CSV, the record's
// position as Excel shows it when it opens the file, where a blank line is a
// row and a quoted cell spanning lines is one row.
//
// # CSV
//
// CSV is read by a small streaming scanner over bufio.Reader instead of
// encoding/csv, for two reasons. encoding/csv drops blank lines, so its
// record numbers drift from the row numbers a user sees in Excel, and its
// FieldPos line numbers count the lines inside quoted cells; refbatch's
// messages must name Excel's rows. And it allocates per field, where this
// scanner makes one string per record and slices the cells out of it, which
// matters at a million rows. It follows Excel's reading: a cell is quoted
// only when its first character is '"', "" is a quote, text after a closing
// quote is kept, and CRLF or LF (or CR alone, for old Mac exports) ends a
// record (the record separator is sniffed outside quotes, so a CR-only file
// with a line break inside a quoted cell is read by CR). A UTF-8 byte-order
// mark is skipped; the delimiter (',', ';' or tab) is sniffed as the one
// under which the leading rows contain a header.
//
// # Performance and memory
//
// Reading is streaming: a Reader holds one record (and the one read ahead)
// at a time, and memory does not grow with the file. Allocation dominates the cost
// of a row, so a row and its cells are one allocation, and Reader.Release
// lets a pipeline hand finished rows back for reuse. The value parsers are
// hand-written byte scanners (no regexp, no fmt, no allocation). Most
// workbook cells are read by a fast path straight from the scanner's buffer
// (see BenchmarkReaders: CSV, this reader and excelize on the same rows).
//
// # Concurrency
//
// A Reader is used by one goroutine: Open, Next and Close are not safe for
// concurrent use. The Rows and Findings it returns belong to the caller and
// may be handed to other goroutines; Release may be called from any
// goroutine. LoadMapping and RowFromRecord are safe for concurrent use.
package importer
