// Package journal is the SQLite journal of refbatch runs (SPEC §7): the
// runs, their rows and the steps of each row, and, across runs, what each
// External Reference ID became. It implements engine.Journal; it owns the
// schema, its embedded migrations (migrations/NNNN_*.sql) and all of
// refbatch's SQL. It never stores a token or a secret: nothing it is given
// carries one.
//
// Opening. Open creates the journal (mode 0600; SQLite gives the -wal and
// -shm files the same mode) and migrates it, all pending migrations in one
// transaction, the version kept in PRAGMA user_version and the file marked
// with an application_id. It refuses, without changing the file: a journal
// written by a newer refbatch (ErrNewerSchema), a file that is not SQLite
// or is another program's database (ErrNotJournal), and a journal another
// refbatch process has open for writing (ErrInUse: an flock on PATH.lock,
// taken without waiting, whose file holds the owner's pid). OpenReadOnly,
// for status and export, takes no lock and works while a run writes.
//
// Concurrency. All methods are safe for concurrent use. Every write goes
// through one goroutine owning the one writer connection; writes that wait
// while a transaction commits are committed together in the next one (a
// group commit), and each method returns only after the transaction holding
// its write has committed. One failing write does not fail the writes it
// shares a transaction with. Reads use a separate pool of read-only
// connections and, in WAL mode, neither wait for writes nor see them before
// they commit. A caller whose context ends before its write was taken gets
// the context's error and the write does not happen; once taken, a write
// is carried out and the caller waits for it.
//
// Durability. The journal runs in WAL mode with synchronous=FULL: SQLite
// fsyncs the write-ahead log at each commit, so a committed write is on
// disk before the method returns. It survives the process being killed at
// any point, kill -9 included, and a power loss or an operating-system
// crash too. StepSent (or a Record carrying a Sent step) returning nil
// therefore means: whatever happens from now on, resume finds the step
// sent. The group commit shares one fsync among every write that waited
// for it. RecordLater writes are not waited for; Flush returns once they
// are committed. A write that fails (a full disk, an I/O error) returns the
// error; nothing is dropped silently.
//
// Times are stored as RFC 3339 text in UTC with nine fraction digits and
// come back in UTC, equal to what was stored.
package journal
