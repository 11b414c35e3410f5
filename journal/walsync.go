package journal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
)

// walSyncer makes the writer's commits durable after the fact, so that the
// writer does not wait for the disk: the writer commits with
// synchronous=NORMAL (SQLite writes the transaction to the write-ahead log
// and returns without an fsync) and hands the commit's writes here; this
// goroutine fsyncs the log once for every commit made meanwhile, then lets
// their callers return. A caller therefore returns only once its commit is
// on disk, as with synchronous=FULL, but the writer runs the next
// transaction while the disk works, and one fsync covers every commit
// queued behind it (a pipelined group commit).
//
// Why this is as safe as synchronous=FULL:
//   - fsync flushes a file's data, whichever descriptor wrote it: syncing
//     our own descriptor of the log flushes what SQLite wrote through its
//     own. We open the log by path and, before each fsync, check that the
//     path still names the file we hold (SQLite removes the log only when
//     its last connection closes, and the writer's stays open).
//   - The log is append-only with a running checksum: after a power cut
//     SQLite replays it up to the first frame that is missing or does not
//     match, so a commit that reached the disk is kept only if every commit
//     before it did too. No caller learns of a commit before an fsync that
//     began after it, so nothing a caller was told is ever rolled back.
//   - SQLite itself still syncs what needs ordering in NORMAL mode: the
//     log's header when the log restarts, the log before a checkpoint
//     copies it into the database, and the database after.
//   - A failed fsync is sticky: after one, the kernel may have dropped the
//     dirty pages it could not write, so a later fsync that succeeds proves
//     nothing. Every write from then on fails, and the run stops.
type walSyncer struct {
	path string // the write-ahead log: the database's path + "-wal"

	// ready holds the writer's leave to commit: the writer takes it to
	// commit and hands the commit's writes to in; run gives it back when
	// their fsync is over. So the writer commits once per fsync, and
	// fills its next transaction meanwhile.
	ready chan struct{}
	in    chan []*writeReq
	done  chan struct{} // closed when run returns

	// Only run touches these.
	f   *os.File
	err error

	syncs atomic.Int64
}

// walSyncSupported says whether the platform's fsync flushes a file's data
// whichever descriptor wrote it, and lets a second descriptor be open
// while SQLite removes the log at its last close. Elsewhere the writer
// commits with synchronous=FULL.
var walSyncSupported = runtime.GOOS != "windows"

// startWALSync switches the writer connection to synchronous=NORMAL and
// starts the goroutine that syncs its log, when the journal is in WAL mode
// on a platform that allows it; otherwise it returns nil and commits stay
// synchronous=FULL (the DSN's setting).
func startWALSync(ctx context.Context, db *sql.DB, path string) (*walSyncer, error) {
	if !walSyncSupported {
		return nil, nil
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, err
	}
	if mode != "wal" {
		return nil, nil
	}
	// One connection: this pragma holds for every commit the writer makes.
	// Should database/sql ever open a new one, it gets the DSN's FULL.
	if _, err := db.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return nil, err
	}
	s := &walSyncer{path: path + "-wal", ready: make(chan struct{}, 1), in: make(chan []*writeReq, 1), done: make(chan struct{})}
	s.ready <- struct{}{}
	go s.run()
	return s, nil
}

// add hands over writes whose transaction has committed; the writer
// holds ready. Only the writer goroutine calls it, and never after stop.
func (s *walSyncer) add(rs []*writeReq) { s.in <- rs }

// stop waits for the writes handed over to be synced, then for the
// goroutine to end.
func (s *walSyncer) stop() {
	close(s.in)
	<-s.done
}

func (s *walSyncer) run() {
	defer close(s.done)
	defer func() {
		if s.f != nil {
			s.f.Close()
		}
	}()
	for batch := range s.in {
		err := s.sync()
		for _, r := range batch {
			r.finish(err)
		}
		s.ready <- struct{}{}
	}
}

// sync flushes the log to disk.
func (s *walSyncer) sync() error {
	if s.err != nil {
		return s.err
	}
	if err := s.open(); err != nil {
		s.err = fmt.Errorf("write-ahead log %s: %w", s.path, err)
		return s.err
	}
	if err := s.f.Sync(); err != nil {
		s.err = fmt.Errorf("sync write-ahead log %s: %w", s.path, err)
		return s.err
	}
	s.syncs.Add(1)
	return nil
}

// open makes sure s.f is the file the log's path names.
func (s *walSyncer) open() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return err
	}
	if s.f != nil {
		if cur, err := s.f.Stat(); err == nil && os.SameFile(cur, fi) {
			return nil
		}
		s.f.Close()
		s.f = nil
	}
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	opened, err := f.Stat()
	if err != nil || !os.SameFile(opened, fi) {
		f.Close()
		if err == nil {
			err = fmt.Errorf("replaced while being opened")
		}
		return err
	}
	s.f = f
	return nil
}
