package journal

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors callers may branch on with errors.Is. The messages name the
// journal's path.
var (
	ErrInUse        = errors.New("journal in use by another process")
	ErrNewerSchema  = errors.New("journal written by a newer refbatch")
	ErrNotJournal   = errors.New("not a refbatch journal")
	ErrNotExist     = errors.New("journal does not exist")
	ErrReadOnly     = errors.New("journal opened read-only")
	ErrClosed       = errors.New("journal closed")
	ErrDamaged      = errors.New("journal damaged")
	errInvalidState = errors.New("invalid step state")
)

// openError carries a sentence for the user and a sentinel for errors.Is.
type openError struct {
	msg  string
	kind error
}

func newOpenError(kind error, format string, args ...any) error {
	return &openError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func (e *openError) Error() string { return e.msg }
func (e *openError) Unwrap() error { return e.kind }

// Memory is the path of an in-memory journal (one connection, no lock, gone
// at Close): for tests and benchmarks.
const Memory = ":memory:"

// Options tune Open.
type Options struct {
	// Now is the clock for the times the journal fills in itself (a zero
	// Started, SentAt or FinishedAt; Known's updated_at). nil: time.Now.
	Now func() time.Time
	// QuickCheck runs PRAGMA quick_check when the journal is opened and
	// refuses a damaged one. It reads the whole file: about 0.3 s for a
	// journal of 100,000 rows and 200,000 steps (BenchmarkOpenQuickCheck),
	// against 2 ms for an Open without it, so it is off by default; SQLite
	// still reports the damage it meets as "database disk image is
	// malformed", and the error names the journal.
	QuickCheck bool
	// BusyTimeout is how long a connection waits for a lock held by another
	// connection (a status reader checkpointing, say). Zero: 10 s.
	BusyTimeout time.Duration
}

// Journal is the SQLite journal of refbatch runs. It implements
// engine.Journal. All methods are safe for concurrent use.
type Journal struct {
	path string
	now  func() time.Time

	write *sql.DB // one connection; nil when read-only
	read  *sql.DB // read-only pool; == write for an in-memory journal
	lock  *lockFile
	stmts writerStmts

	mu      sync.RWMutex // guards closed against submissions
	closed  bool
	reqs    chan *writeReq
	stopped chan struct{}
	closeMu sync.Mutex

	commits, writes atomic.Int64 // for Stats

	// later counts RecordLater writes not yet committed; laterErr keeps
	// the first of their errors for Flush.
	later    sync.WaitGroup
	laterMu  sync.Mutex
	laterErr error
}

// Open opens the journal at path for a run, creating it (mode 0600) and
// migrating it to SchemaVersion as needed. It takes an exclusive lock on
// PATH.lock for as long as the journal is open: a second refbatch process
// (or a second Open) is refused at once with ErrInUse. A journal with a
// newer schema, or a file that is not a refbatch journal, is refused
// without being changed.
func Open(ctx context.Context, path string, opts Options) (*Journal, error) {
	j := &Journal{path: path, now: opts.Now}
	if j.now == nil {
		j.now = time.Now
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	if path == Memory {
		db, err := sql.Open("sqlite", "file::memory:?"+pragmas(busy, true))
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		// One connection is the database: a second one would be a second,
		// empty database. It must never be closed while idle either.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		j.write, j.read = db, db
	} else {
		if err := createFile(path); err != nil {
			return nil, err
		}
		lock, err := acquireLock(path)
		if err != nil {
			return nil, err
		}
		j.lock = lock
		h, err := readHeader(path)
		if err == nil {
			err = h.check(path)
		}
		if err == nil {
			err = checkWAL(path)
		}
		if err == nil && !h.empty && h.applicationID == 0 {
			// A SQLite file without our mark: either another program's
			// database or one of ours killed before its first migration
			// committed. Look before the writer's pragmas (WAL) change it.
			err = probe(ctx, path, busy)
		}
		if err != nil {
			j.lock.release()
			return nil, wrapOpen(path, err)
		}
		db, err := sql.Open("sqlite", fileURI(path)+"?"+pragmas(busy, true)+"&_txlock=immediate")
		if err != nil {
			j.lock.release()
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		j.write = db
	}
	if err := j.prepareWriter(ctx, opts); err != nil {
		j.write.Close()
		j.lock.release()
		return nil, wrapOpen(path, err)
	}
	if j.read == nil {
		rd, err := openReaders(ctx, path, busy)
		if err != nil {
			j.stmts.close()
			j.write.Close()
			j.lock.release()
			return nil, wrapOpen(path, err)
		}
		j.read = rd
	}
	j.reqs = make(chan *writeReq, 1024)
	j.stopped = make(chan struct{})
	go j.writer()
	return j, nil
}

func (j *Journal) prepareWriter(ctx context.Context, opts Options) error {
	if err := migrate(ctx, j.write, j.path); err != nil {
		return err
	}
	if opts.QuickCheck {
		if err := quickCheck(ctx, j.write, j.path); err != nil {
			return err
		}
	}
	return j.stmts.prepare(ctx, j.write)
}

// OpenReadOnly opens an existing journal for reading (status, export). It
// takes no lock, so it works while a run writes the journal; it sees each
// write once committed. Write methods return ErrReadOnly.
func OpenReadOnly(ctx context.Context, path string) (*Journal, error) {
	if path == Memory {
		return nil, fmt.Errorf("journal %s: an in-memory journal cannot be opened read-only", path)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, newOpenError(ErrNotExist, "journal %s does not exist", path)
		}
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	h, err := readHeader(path)
	if err == nil && h.empty {
		err = newOpenError(ErrNotJournal, "journal %s is empty: no run has written it", path)
	}
	if err == nil {
		err = h.check(path)
	}
	if err != nil {
		return nil, wrapOpen(path, err)
	}
	rd, err := openReaders(ctx, path, 10*time.Second)
	if err != nil {
		return nil, wrapOpen(path, err)
	}
	s, err := readSchemaState(ctx, rd)
	if err == nil {
		err = s.check(path)
	}
	if err == nil && s.version < SchemaVersion {
		err = newOpenError(ErrNotJournal, "journal %s has schema version %d; open it with `refbatch run` or `resume` once to upgrade it to %d", path, s.version, SchemaVersion)
	}
	if err != nil {
		rd.Close()
		return nil, wrapOpen(path, err)
	}
	return &Journal{path: path, now: time.Now, read: rd}, nil
}

// Path returns the journal's path as given to Open.
func (j *Journal) Path() string { return j.path }

// Close waits for the writes in flight, then closes the database and
// releases the lock. Later calls return nil; methods called after Close
// return ErrClosed.
func (j *Journal) Close() error {
	j.closeMu.Lock()
	defer j.closeMu.Unlock()
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	if j.reqs != nil {
		close(j.reqs)
	}
	j.mu.Unlock()
	if j.stopped != nil {
		<-j.stopped
	}
	var errs []error
	j.stmts.close()
	if j.read != nil && j.read != j.write {
		errs = append(errs, j.read.Close())
	}
	// The writer closes last: the last connection checkpoints the WAL into
	// the database and removes it.
	if j.write != nil {
		errs = append(errs, j.write.Close())
	}
	errs = append(errs, j.lock.release())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("journal %s: close: %w", j.path, err)
	}
	return nil
}

// pragmas are set by the driver on every new connection.
// walCheckpointPages is how many WAL pages (4 KiB) accumulate before the
// writer copies them into the database. SQLite's default, 1,000, meant a
// checkpoint (two fsyncs) every ~60 rows of a run: the disk journal ran
// 21% slower than an in-memory one (BenchmarkJournalOverhead). At 16,000
// pages (64 MiB of WAL at most) the difference is within the noise.
const walCheckpointPages = 16000

// checkWAL refuses a journal whose write-ahead log has a header SQLite
// cannot read (overwritten, or cut inside its first 32 bytes): SQLite
// would ignore the whole log, and with it every commit not yet copied into
// the database, "sent" records of writes that may have left among them. A
// log cut inside a later frame is not refused: with synchronous=FULL every
// commit is whole on disk before it returns, so a cut frame belongs to a
// transaction that never committed, which SQLite rightly drops.
func checkWAL(path string) error {
	f, err := os.Open(path + "-wal")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal %s: write-ahead log: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	var hdr [32]byte
	n, _ := io.ReadFull(f, hdr[:])
	magic := binary.BigEndian.Uint32(hdr[0:4])
	pageSize := binary.BigEndian.Uint32(hdr[8:12])
	validSize := pageSize == 1 || (pageSize >= 512 && pageSize <= 32768 && pageSize&(pageSize-1) == 0)
	if n < len(hdr) || (magic != 0x377f0682 && magic != 0x377f0683) || !validSize {
		return newOpenError(ErrDamaged, "journal %s: its write-ahead log %s-wal is damaged (its header is not SQLite's): the last commits would be lost, so refbatch will not read it. "+
			"Keep both files aside and run again with a new journal: the mirror of Partner Center keeps the run from creating anything twice",
			path, path)
	}
	return nil
}

func pragmas(busy time.Duration, writer bool) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	v.Add("_pragma", "foreign_keys(ON)")
	if writer {
		v.Add("_pragma", "journal_mode(WAL)")
		// FULL: a commit is on disk when it returns, against a power cut or
		// an OS crash too, not only a killed process. A step's "sent"
		// record must be before its request leaves, or a lost answer
		// could be sent again. Measured cost: see BenchmarkJournalOverhead
		// and the README.
		v.Add("_pragma", "synchronous(FULL)")
		v.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	}
	return v.Encode()
}

// openReaders opens the read-only pool. mode=ro (a SQLite URI parameter)
// makes every write fail and never creates the database.
func openReaders(ctx context.Context, path string, busy time.Duration) (*sql.DB, error) {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro&"+pragmas(busy, false))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// probe checks, through a read-only connection, that path is a refbatch
// journal or an empty database.
func probe(ctx context.Context, path string, busy time.Duration) error {
	db, err := openReaders(ctx, path, busy)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := readSchemaState(ctx, db)
	if err != nil {
		return err
	}
	return s.check(path)
}

// fileURI makes a SQLite "file:" URI of a path, escaping what a URI would
// read as query, fragment or escape.
func fileURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

// createFile creates the database file with mode 0600 before SQLite opens
// it: SQLite gives the -wal and -shm files the database's mode.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return f.Close()
}

func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return newOpenError(ErrNotJournal, "journal %s is damaged: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// wrapOpen names the file in an error from opening it, unless the error is
// already one of ours (which does).
func wrapOpen(path string, err error) error {
	var oe *openError
	if errors.As(err, &oe) {
		return err
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "file is not a database"):
		return &openError{msg: fmt.Sprintf("journal %s is not a SQLite database or is damaged: %s", path, msg), kind: ErrNotJournal}
	case strings.Contains(msg, "malformed"):
		return &openError{msg: fmt.Sprintf("journal %s is damaged: %s", path, msg), kind: ErrNotJournal}
	}
	return fmt.Errorf("journal %s: %w", path, err)
}

// A writeReq is one write waiting for the writer goroutine.
type writeReq struct {
	fn    func(tx *sql.Tx) error
	state atomic.Int32 // reqWaiting, then reqTaken by the writer or reqAbandoned by the caller
	done  chan error   // buffered: the writer never waits for the caller
	// later, when set, receives the result instead of done: the caller of
	// RecordLater does not wait.
	later func(error)
}

// finish hands a request its result.
func (r *writeReq) finish(err error) {
	if r.later != nil {
		r.later(err)
		return
	}
	r.done <- err
}

const (
	reqWaiting = iota
	reqTaken
	reqAbandoned
)

// maxBatch bounds how many waiting writes share one transaction.
const maxBatch = 512

// writer is the only goroutine that writes. It takes the first waiting
// write, then every write already queued behind it, runs them in one
// transaction and commits once: a group commit. Each caller returns when
// the transaction holding its write has committed.
func (j *Journal) writer() {
	defer close(j.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for first := range j.reqs {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-j.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		live := batch[:0]
		for _, r := range batch {
			if r.state.CompareAndSwap(reqWaiting, reqTaken) {
				live = append(live, r)
			}
		}
		if len(live) > 0 {
			j.commit(live)
		}
	}
}

// commit runs a batch in one transaction. If one write fails, the
// transaction is rolled back and each write is retried alone, so that one
// caller's error never fails another's write.
func (j *Journal) commit(batch []*writeReq) {
	// Background context: a write taken is carried out even if its caller
	// gives up, and one caller's cancellation must not roll back the others.
	ctx := context.Background()
	tx, err := j.write.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.finish(fmt.Errorf("begin: %w", err))
		}
		return
	}
	errs := make([]error, len(batch))
	failed := false
	for i, r := range batch {
		if errs[i] = r.fn(tx); errs[i] != nil {
			failed = true
		}
	}
	if failed {
		_ = tx.Rollback()
		if len(batch) == 1 {
			batch[0].finish(errs[0])
			return
		}
		for _, r := range batch {
			j.commit([]*writeReq{r})
		}
		return
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", err)
		for _, r := range batch {
			r.finish(err)
		}
		return
	}
	j.commits.Add(1)
	j.writes.Add(int64(len(batch)))
	for _, r := range batch {
		r.finish(nil)
	}
}

// Stats counts the writer's work since Open: the transactions committed
// (for a journal file, one fsync each) and the writes they carried.
type Stats struct {
	Commits, Writes int64
}

// Stats returns the writer's counts so far.
func (j *Journal) Stats() Stats {
	return Stats{Commits: j.commits.Load(), Writes: j.writes.Load()}
}

// submit hands a write to the writer goroutine and waits until it is
// committed. A caller whose context ends before the writer took its write
// returns the context's error and the write never happens; once taken, the
// caller waits for the commit.
func (j *Journal) submit(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if j.write == nil {
		return fmt.Errorf("journal %s: %s: %w", j.path, what, ErrReadOnly)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("journal %s: %s: %w", j.path, what, err)
	}
	r := &writeReq{fn: fn, done: make(chan error, 1)}
	j.mu.RLock()
	if j.closed {
		j.mu.RUnlock()
		return fmt.Errorf("journal %s: %s: %w", j.path, what, ErrClosed)
	}
	select {
	case j.reqs <- r:
		j.mu.RUnlock()
	case <-ctx.Done():
		j.mu.RUnlock()
		return fmt.Errorf("journal %s: %s: %w", j.path, what, ctx.Err())
	}
	var err error
	select {
	case err = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqWaiting, reqAbandoned) {
			return fmt.Errorf("journal %s: %s: %w", j.path, what, ctx.Err())
		}
		err = <-r.done
	}
	if err != nil {
		return fmt.Errorf("journal %s: %s: %w", j.path, what, err)
	}
	return nil
}

// reader returns the pool reads go to, or ErrClosed.
func (j *Journal) reader(what string) (*sql.DB, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil, fmt.Errorf("journal %s: %s: %w", j.path, what, ErrClosed)
	}
	return j.read, nil
}
