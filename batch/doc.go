// Package batch is refbatch to embed: a Client that loads a spreadsheet of
// Partner Center referrals, checks it, plans it, runs it against the
// Referrals API with a SQLite journal, resumes it after a crash, and reports
// and exports what happened. The refbatch command is a thin layer of flags
// and terminal output over it.
//
// It is the one package besides cmd/refbatch that wires the technology
// packages (importer, rules, exporter, journal, partnercenter, credentials)
// to the engine, and everything a run needs to stay exactly once lives
// here, behind the Client: the refusal of a new run while an earlier one has
// writes in doubt, the upsert decision, run bookkeeping, input and policy
// hashes, and the journal's binding to one endpoint. An embedder cannot skip
// them by mistake.
//
// Rows that wait for Partner Center (a deal registration waiting for
// Microsoft to accept its co-sell referral) end a run waiting
// (refbatch.ErrWaiting); Sync advances them later from the journal alone,
// and Resume advances them too.
//
// Zero values are safe: a zero Config reads files with the built-in rules
// and reference tables (their vocabulary and aliases applied, so "Japan"
// reads as JP), 8 rows in flight and an adaptive rate.
//
// # Concurrency
//
// A Client runs one run, resume or sync at a time (Run, Resume and Sync
// refuse a second concurrent call); Validate, Plan, Status and Export may be called from
// several goroutines. Observer callbacks are called from several goroutines
// at once and must be quick. Stop and StopAndCancel may be called from any
// goroutine, for instance a signal handler.
package batch
