// Package rules owns refbatch's policies (SPEC §5): the rules a row must
// pass before anything is sent to Partner Center, written as expr-lang/expr
// expressions in a YAML file, and the reference tables they consult.
//
// # Rules
//
// The built-in rules file (builtin.yaml, embedded; BuiltinRules returns it)
// holds the rule ids of SPEC §5: required, enum, status-pair,
// status-transition, services-cosell, solution-play, cosell, dealreg, value,
// date, contact and duplicate. An entry has an id, a severity (error or
// warning), an optional when, a boolean check (or, for a cross-row rule, a
// unique key), the columns its findings highlight and a message that cites
// values with {{ expr }}. Entries sharing an id form a family. A user's file
// (Load's path, --rules) extends the built-in file: an entry whose id is a
// built-in id replaces that family, `replace: true` drops the built-in rules
// and `disable: [ids]` removes families.
//
// Expressions see the row through Env: every column under its refbatch.Row
// field name (DealValue, ClosingDate, SolutionIDs…), Filled.X and Invalid.X,
// Today, and functions with typed signatures: filled("Column"),
// invalid("Column"), known(table, value), playIn(area, play),
// pair(status, substatus), transition(from, to), usd(amount, currency, date),
// hasRate(currency), azureIPEligible(ids), email(s), phone(s),
// addMonths(date, n) and money(x), besides expr's own builtins.
//
// Everything is compiled when the policy loads, so a mistake is reported
// before any row is read: a *refbatch.InputError naming the file, the rule id
// and the line, with the line:column of the mistake in the file (rules.yaml:
// row 14: rule dealreg: 14:23: unknown name DealValu).
//
// # Evaluation
//
// Rules are compiled once against a typed Env passed by value. The parts of
// an expression that are simple tests (a cell filled, a text equal to a
// literal, a value in a table, a number or date compared) are also lowered to
// Go closures, and whens shared by many rules (Action == "create",
// RegisterDeal…) become per-row facts, so that a valid row is checked without
// entering the VM and without allocating; the VM runs what remains and the
// messages of failing rules. A rule that reads a cell the importer could not
// parse is skipped on that row: the importer has reported the cell.
//
// # Tables
//
// Reference tables are CSV files embedded under tables/ (LoadTables("")): the
// solution areas and plays by fiscal year (solution-areas-fy24.csv and
// solution-plays-fy24.csv, FY24's of create-referral; a --tables directory
// may add years), partner roles, status
// pairs and transitions, customer sizes, ISO 4217 currencies, ISO 3166-1
// countries, dated FX rates to USD (sample rates, to be maintained), a sample
// solutions catalog, and the vocabularies of the deal registration fields.
// LoadTables(dir) replaces whichever of them dir holds and validates them all.
// A row is checked against the Solution Area/Play table of its Closing Date's
// fiscal year, or Options.FiscalYear's (Tables.ForFiscalYear): the policy is
// compiled once per year's table and an Evaluator picks one per row.
//
// # Concurrency
//
// Tables and a Policy are immutable and safe for concurrent use. An
// Evaluator (Policy.NewEvaluator) holds a VM and scratch space and is not: use
// one per goroutine. A DuplicateCheck (Policy.NewDuplicateCheck) remembers the
// keys of one file and must see its rows in file order, from one goroutine.
//
// Rule test cases (LoadCases, RunCases) let a team prove its rules and tables:
// `refbatch rules test CASES.yaml`.
package rules
