// Package exporter writes the files refbatch hands to people: the
// pre-flight report of `refbatch validate --report` (.xlsx, .csv or .json,
// SPEC §8), the results export of `refbatch export` (Results: the input rows
// with outcome, Partner Center IDs and error, SPEC §2 and §8) and the Excel
// template of `refbatch template` (SPEC §2). It owns the report layouts, the
// CSV-injection defence (NeutralizeCSV) and the workbook mechanics
// (excelize streaming, cell comments, drop-down lists).
//
// Guarantees:
//
//   - Atomic output: every file is written under a temporary name in its
//     destination directory (mode 0600) and renamed into place only when
//     complete. A failed write, an error from WriteRow or Abort leave
//     nothing at the path (an older file there is untouched).
//   - Temporary files where they are cleaned up: the output's temporary
//     name, the spools and excelize's StreamWriter files live in a private
//     directory beside the output (".OUT.refbatch-tmp", 0700, files 0600),
//     never in $TMPDIR; Close and Abort remove it, and a write killed
//     before either leaves it for the next write of that output, which
//     removes it when its process is gone (or it is over an hour old).
//   - Replace only what refbatch wrote: CheckReplace lets a command refuse
//     to overwrite a file that is not an earlier report or export (xlsx
//     document property Category, the CSV header line, the JSON keys)
//     unless forced.
//   - The input's geometry: the .xlsx report and results keep the header and
//     every input cell at its own address and append their columns right of
//     the header, so a cell reference or a pasted column means the same in
//     the input.
//   - Bounded memory: a Report or Results holds no rows. Findings and .json
//     result rows go to a temporary spool file (the summary comes first but
//     is known only at Close, rows may be millions) and .xlsx rows are
//     streamed to the worksheet; cell comments are spooled too and written
//     into the package at Close (excelize's AddComment is quadratic and
//     in-memory). Measured with BenchmarkXLSXReport: the live heap stays
//     under ~60 MB for a 100,000-row, 20-column input whatever the number of
//     findings.
//   - The input's cells as the user had them: a number, date or boolean
//     cell (Row.Cells, from an .xlsx input) is written as one, with a style
//     carrying its number format (one style per format and look, made
//     once), so dates stay dates and amounts keep their currency format; a
//     finding's value and the .csv/.json results show a date as the
//     spreadsheet displays it, not its serial. The Findings column's rows
//     are as tall as their wrapped text.
//   - No formulas from user data: text cells are written as inline strings
//     and .csv fields that start with = + - @ tab or CR get a leading
//     apostrophe.
//
// Concurrency: a Report or Results is used by one goroutine (the rows of a
// file arrive in file order anyway). Distinct Reports and Results, and
// WriteTemplate, may run concurrently.
package exporter
