// Package exporter writes the files refbatch hands to people: the
// pre-flight report of `refbatch validate --report` (.xlsx, .csv or .json,
// SPEC §8) and the Excel template of `refbatch template` (SPEC §2). It owns
// the report layouts, the CSV-injection defence (NeutralizeCSV) and the
// workbook mechanics (excelize streaming, cell comments, drop-down lists).
//
// Guarantees:
//
//   - Atomic output: every file is written under a temporary name in its
//     destination directory (mode 0600) and renamed into place only when
//     complete. A failed write, an error from WriteRow or Report.Abort leave
//     nothing at the path (an older file there is untouched).
//   - Bounded memory: a Report holds neither rows nor findings. Findings go
//     to a temporary spool file (the summary is known only at Close, findings
//     may be millions) and .xlsx rows are streamed to the worksheet; cell
//     comments are spooled too and written into the package at Close
//     (excelize's AddComment is quadratic and in-memory). Measured with
//     BenchmarkXLSXReport: the live heap stays under ~60 MB for a
//     100,000-row, 20-column input whatever the number of findings.
//   - No formulas from user data: .xlsx cells are written as inline strings
//     and .csv fields that start with = + - @ tab or CR get a leading
//     apostrophe.
//
// Concurrency: a Report is used by one goroutine (the rows of a file arrive
// in file order anyway). Distinct Reports, and WriteTemplate, may run
// concurrently.
package exporter
