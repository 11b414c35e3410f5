package journal_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/journal"
)

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"disk", "memory"} {
		t.Run(name, func(t *testing.T) {
			path := journal.Memory
			if name == "disk" {
				path = tempPath(t)
			}
			testRoundTrip(t, mustOpen(t, path))
		})
	}
}

func testRoundTrip(t *testing.T, j *journal.Journal) {
	ctx := context.Background()

	if _, err := j.LatestRun(ctx); !errors.Is(err, refbatch.ErrNoRun) {
		t.Fatalf("LatestRun on an empty journal: %v, want ErrNoRun", err)
	}
	if _, err := j.Run(ctx, "nope"); !errors.Is(err, refbatch.ErrNoRun) {
		t.Fatalf("Run(nope): %v, want ErrNoRun", err)
	}

	// Runs: a non-UTC start comes back as the same instant in UTC.
	r1 := testRun("r1", t0.In(time.FixedZone("CET", 3600)))
	r2 := testRun("r2", t0.Add(time.Nanosecond))
	r2.Options = `{"sheet":"Other"}`
	for _, r := range []refbatch.RunInfo{r2, r1} {
		if err := j.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.CreateRun(ctx, r1); err == nil {
		t.Fatal("CreateRun with a duplicate id succeeded")
	}
	r1.Started = r1.Started.UTC()
	got, err := j.Run(ctx, "r1")
	if err != nil || got != r1 {
		t.Fatalf("Run(r1) = %+v, %v; want %+v", got, err, r1)
	}
	latest, err := j.LatestRun(ctx)
	if err != nil || latest.ID != "r2" {
		t.Fatalf("LatestRun = %v, %v; want r2", latest.ID, err)
	}
	runs, err := j.Runs(ctx)
	if err != nil || len(runs) != 2 || runs[0] != r1 || runs[1] != r2 {
		t.Fatalf("Runs = %+v, %v", runs, err)
	}
	r1.InputSHA256, r1.Options, r1.Finished = "cd34", `{"sheet":"Changed"}`, t0.Add(time.Hour)
	r1.InputPath = "ignored.xlsx" // UpdateRun rewrites hash, options and finished only
	if err := j.UpdateRun(ctx, r1); err != nil {
		t.Fatal(err)
	}
	r1.InputPath = "in/deals.xlsx"
	if got, _ := j.Run(ctx, "r1"); got != r1 {
		t.Fatalf("after UpdateRun: %+v, want %+v", got, r1)
	}
	if err := j.UpdateRun(ctx, testRun("nope", t0)); !errors.Is(err, refbatch.ErrNoRun) {
		t.Fatalf("UpdateRun(nope): %v, want ErrNoRun", err)
	}

	// Rows: insert, replace by number, outcome, delete.
	rows := makeRows(5)
	rows[1].ReferralID = "ref-1"
	if err := j.PutRows(ctx, "r1", rows); err != nil {
		t.Fatal(err)
	}
	if err := j.PutRows(ctx, "r2", makeRows(2)); err != nil {
		t.Fatal(err)
	}
	rows[2].Hash, rows[2].Action = "changed", "update"
	extra := refbatch.RowRecord{Number: 100, Action: "create", Valid: true, Hash: "h", Outcome: refbatch.OutcomePending}
	if err := j.PutRows(ctx, "r1", []refbatch.RowRecord{rows[2], extra}); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, extra)
	rows[3].Outcome, rows[3].Error = refbatch.OutcomeFailed, "422: nope"
	rows[3].ReferralID, rows[3].EngagementID, rows[3].MicrosoftReferralID = "ref", "eng", "msref"
	if err := j.SetOutcome(ctx, "r1", rows[3]); err != nil {
		t.Fatal(err)
	}
	if err := j.SetOutcome(ctx, "r1", refbatch.RowRecord{Number: 999}); err == nil {
		t.Fatal("SetOutcome of a missing row succeeded")
	}
	gotRows, err := j.Rows(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotRows) != fmt.Sprint(rows) {
		t.Fatalf("Rows:\n got %+v\nwant %+v", gotRows, rows)
	}

	// Steps.
	sent := refbatch.StepRecord{Run: "r1", Row: 3, Step: refbatch.StepCreate, ClientRequestID: "c1", SentAt: t0}
	if err := j.StepSent(ctx, sent); err != nil {
		t.Fatal(err)
	}
	fin := sent
	fin.State, fin.HTTPStatus, fin.ErrorCode, fin.ErrorMessage, fin.FinishedAt = refbatch.StateFailed, 503, "network", "reset", t0.Add(time.Second)
	if err := j.StepFinished(ctx, fin); err != nil {
		t.Fatal(err)
	}
	sent.ClientRequestID, sent.SentAt = "c2", t0.Add(2*time.Second)
	if err := j.StepSent(ctx, sent); err != nil { // a second attempt
		t.Fatal(err)
	}
	steps, err := j.Steps(ctx, "r1")
	if err != nil || len(steps) != 1 {
		t.Fatalf("Steps = %+v, %v", steps, err)
	}
	want := refbatch.StepRecord{Run: "r1", Row: 3, Step: refbatch.StepCreate, State: refbatch.StateSent, Attempts: 2,
		ClientRequestID: "c2", SentAt: t0.Add(2 * time.Second)}
	if steps[0] != want {
		t.Fatalf("after a second StepSent:\n got %+v\nwant %+v", steps[0], want)
	}
	done := sent
	done.State, done.HTTPStatus, done.ReferralID, done.EngagementID, done.ETag, done.FinishedAt =
		refbatch.StateDone, 201, "ref-3", "eng-3", `W/"1"`, t0.Add(3*time.Second)
	if err := j.StepFinished(ctx, done); err != nil {
		t.Fatal(err)
	}
	// A later step of the same row, and one of another row, listed in run order.
	link := refbatch.StepRecord{Run: "r1", Row: 3, Step: refbatch.StepLink, ClientRequestID: "c3", SentAt: t0}
	get := refbatch.StepRecord{Run: "r1", Row: 2, Step: refbatch.StepGet, ClientRequestID: "c4", SentAt: t0}
	for _, s := range []refbatch.StepRecord{link, get} {
		if err := j.StepSent(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.StepFinished(ctx, refbatch.StepRecord{Run: "r1", Row: 3, Step: refbatch.StepLink, State: refbatch.StateSent}); err == nil {
		t.Fatal("StepFinished with state sent succeeded")
	}
	steps, _ = j.Steps(ctx, "r1")
	var order []string
	for _, s := range steps {
		order = append(order, fmt.Sprintf("%d/%s/%s/%d", s.Row, s.Step, s.State, s.Attempts))
	}
	if got, want := strings.Join(order, " "), "2/get/sent/1 3/create/done/2 3/link/sent/1"; got != want {
		t.Fatalf("steps %s, want %s", got, want)
	}
	wantDone := refbatch.StepRecord{Run: "r1", Row: 3, Step: refbatch.StepCreate, State: refbatch.StateDone, Attempts: 2,
		ClientRequestID: "c2", HTTPStatus: 201, ReferralID: "ref-3", EngagementID: "eng-3", ETag: `W/"1"`,
		SentAt: t0.Add(2 * time.Second), FinishedAt: t0.Add(3 * time.Second)}
	if steps[1] != wantDone {
		t.Fatalf("done step:\n got %+v\nwant %+v", steps[1], wantDone)
	}

	if err := j.ClearSteps(ctx, "r1", 3); err != nil {
		t.Fatal(err)
	}
	if steps, _ = j.Steps(ctx, "r1"); len(steps) != 1 || steps[0].Row != 2 {
		t.Fatalf("after ClearSteps(3): %+v", steps)
	}
	if err := j.DeleteRows(ctx, "r1", []int{2, 4, 12345}); err != nil {
		t.Fatal(err)
	}
	gotRows, _ = j.Rows(ctx, "r1")
	if len(gotRows) != len(rows)-2 || gotRows[0].Number != 3 {
		t.Fatalf("after DeleteRows: %+v", gotRows)
	}
	if steps, _ = j.Steps(ctx, "r1"); len(steps) != 0 {
		t.Fatalf("DeleteRows left the row's steps: %+v", steps)
	}
	if r2rows, _ := j.Rows(ctx, "r2"); len(r2rows) != 2 {
		t.Fatalf("rows of r2 touched: %+v", r2rows)
	}

	// Known: upsert, empty fields keep the stored ones, case-insensitive.
	if _, ok, err := j.Lookup(ctx, "DEAL-1"); ok || err != nil {
		t.Fatalf("Lookup before Remember: %v, %v", ok, err)
	}
	if err := j.Remember(ctx, refbatch.Known{ExternalReferenceID: "Deal-1", ReferralID: "ref", EngagementID: "eng"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Remember(ctx, refbatch.Known{ExternalReferenceID: "deal-1", MicrosoftReferralID: "ms"}); err != nil {
		t.Fatal(err)
	}
	k, ok, err := j.Lookup(ctx, "DEAL-1")
	wantK := refbatch.Known{ExternalReferenceID: "Deal-1", ReferralID: "ref", EngagementID: "eng", MicrosoftReferralID: "ms"}
	if !ok || err != nil || !reflect.DeepEqual(k, wantK) {
		t.Fatalf("Lookup = %+v, %v, %v; want %+v", k, ok, err, wantK)
	}
	if err := j.Remember(ctx, refbatch.Known{}); err == nil {
		t.Fatal("Remember with an empty id succeeded")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	j, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	if err := j.Remember(ctx, refbatch.Known{ExternalReferenceID: "x", ReferralID: "ref"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := j.CreateRun(ctx, testRun("r2", t0)); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("CreateRun after Close: %v, want ErrClosed", err)
	}
	if _, err := j.Runs(ctx); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("Runs after Close: %v, want ErrClosed", err)
	}
	j = mustOpen(t, path)
	if run, err := j.LatestRun(ctx); err != nil || run != testRun("r1", t0) {
		t.Fatalf("after reopen: %+v, %v", run, err)
	}
	if _, ok, _ := j.Lookup(ctx, "X"); !ok {
		t.Fatal("known id lost across reopen")
	}
}

func TestMigratesFromEmpty(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path).Close()
	db := rawDB(t, path)
	var v, app int64
	db.QueryRow("PRAGMA user_version").Scan(&v)
	db.QueryRow("PRAGMA application_id").Scan(&app)
	if v != int64(journal.SchemaVersion) || app != 0x5246424A {
		t.Fatalf("user_version %d, application_id %#x", v, app)
	}
	var mode string
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal_mode %s", mode)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNewerSchemaRefused(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path).Close()
	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA user_version = 7"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	want := fmt.Sprintf("journal %s has schema version 7; this refbatch knows up to %d: upgrade refbatch", path, journal.SchemaVersion)
	_, err := journal.Open(context.Background(), path, journal.Options{})
	if err == nil || err.Error() != want || !errors.Is(err, journal.ErrNewerSchema) {
		t.Fatalf("Open: %v\nwant %s", err, want)
	}
	_, err = journal.OpenReadOnly(context.Background(), path)
	if err == nil || err.Error() != want {
		t.Fatalf("OpenReadOnly: %v\nwant %s", err, want)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("a refused journal was changed")
	}
	// The lock was released with the refusal.
	if _, err := journal.Open(context.Background(), path, journal.Options{}); errors.Is(err, journal.ErrInUse) {
		t.Fatalf("lock kept after a refused Open: %v", err)
	}
}

func TestNotAJournalRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("this is not a database\n", 50)), 0o600)
	short := filepath.Join(dir, "short.db")
	os.WriteFile(short, []byte("SQLite"), 0o600)
	foreign := filepath.Join(dir, "foreign.db")
	db := rawDB(t, foreign)
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, path := range []string{garbage, short, foreign} {
		before, _ := os.ReadFile(path)
		for name, open := range map[string]func() (*journal.Journal, error){
			"Open":         func() (*journal.Journal, error) { return journal.Open(ctx, path, journal.Options{}) },
			"OpenReadOnly": func() (*journal.Journal, error) { return journal.OpenReadOnly(ctx, path) },
		} {
			j, err := open()
			if err == nil {
				j.Close()
				t.Fatalf("%s(%s) succeeded", name, path)
			}
			if !errors.Is(err, journal.ErrNotJournal) || !strings.Contains(err.Error(), "journal "+path+" is ") {
				t.Errorf("%s(%s): %v", name, filepath.Base(path), err)
			}
		}
		if after, _ := os.ReadFile(path); string(before) != string(after) {
			t.Errorf("%s was changed", path)
		}
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	_, err := journal.OpenReadOnly(context.Background(), path)
	if err == nil || err.Error() != "journal "+path+" does not exist" || !errors.Is(err, journal.ErrNotExist) {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenReadOnly created the file")
	}
}

func TestSecondOpenRefused(t *testing.T) {
	path := tempPath(t)
	j := mustOpen(t, path)
	_, err := journal.Open(context.Background(), path, journal.Options{})
	want := fmt.Sprintf("journal %s is in use by another refbatch process (pid %d)", path, os.Getpid())
	if err == nil || err.Error() != want || !errors.Is(err, journal.ErrInUse) {
		t.Fatalf("second Open: %v\nwant %s", err, want)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, path)
}

func TestReadOnlyWhileWriting(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	w := mustOpen(t, path)
	if err := w.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if run, err := r.LatestRun(ctx); err != nil || run.ID != "r1" {
		t.Fatalf("reader LatestRun: %v, %v", run.ID, err)
	}
	// A write committed after the reader opened is seen by its next read.
	if err := w.PutRows(ctx, "r1", makeRows(3)); err != nil {
		t.Fatal(err)
	}
	if rows, err := r.Rows(ctx, "r1"); err != nil || len(rows) != 3 {
		t.Fatalf("reader Rows: %d, %v", len(rows), err)
	}
	if err := r.CreateRun(ctx, testRun("r2", t0)); !errors.Is(err, journal.ErrReadOnly) {
		t.Fatalf("CreateRun on a read-only journal: %v", err)
	}
	if err := r.StepSent(ctx, refbatch.StepRecord{Run: "r1", Row: 2, Step: refbatch.StepCreate}); !errors.Is(err, journal.ErrReadOnly) {
		t.Fatalf("StepSent on a read-only journal: %v", err)
	}
}

func TestFileModes(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	j := mustOpen(t, path)
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Runs(ctx)
	for _, name := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(name), fi.Mode().Perm())
		}
	}
}

func TestConcurrentSteps(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, tempPath(t))
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	const workers, perWorker = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				s := refbatch.StepRecord{Run: "r1", Row: w*perWorker + i, Step: refbatch.StepCreate, ClientRequestID: fmt.Sprint(w, i)}
				for attempt := range 2 {
					if err := j.StepSent(ctx, s); err != nil {
						errs <- err
						return
					}
					s.State = refbatch.StateFailed
					if attempt == 1 {
						s.State, s.ReferralID = refbatch.StateDone, fmt.Sprint("ref-", s.Row)
					}
					if err := j.StepFinished(ctx, s); err != nil {
						errs <- err
						return
					}
				}
				// A write that fails (no such row) in the middle of the
				// others must not fail them.
				if i == 7 {
					if err := j.SetOutcome(ctx, "r1", refbatch.RowRecord{Number: -1}); err == nil {
						errs <- errors.New("SetOutcome of a missing row succeeded")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	steps, err := j.Steps(ctx, "r1")
	if err != nil || len(steps) != workers*perWorker {
		t.Fatalf("%d steps, %v", len(steps), err)
	}
	for _, s := range steps {
		if s.State != refbatch.StateDone || s.Attempts != 2 || s.ReferralID != fmt.Sprint("ref-", s.Row) {
			t.Fatalf("step %+v", s)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	j := mustOpen(t, tempPath(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.CreateRun(ctx, testRun("r1", t0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateRun with a cancelled context: %v", err)
	}
	if _, err := j.LatestRun(context.Background()); !errors.Is(err, refbatch.ErrNoRun) {
		t.Fatalf("a cancelled write happened: %v", err)
	}
}

func TestClockFillsZeroTimes(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, journal.Memory, journal.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.CreateRun(ctx, testRun("r1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	s := refbatch.StepRecord{Run: "r1", Row: 2, Step: refbatch.StepPatch}
	j.StepSent(ctx, s)
	s.State = refbatch.StateDone
	j.StepFinished(ctx, s)
	run, _ := j.Run(ctx, "r1")
	steps, _ := j.Steps(ctx, "r1")
	if !run.Started.Equal(t0) || len(steps) != 1 || !steps[0].SentAt.Equal(t0) || !steps[0].FinishedAt.Equal(t0) {
		t.Fatalf("run %+v steps %+v", run, steps)
	}
}

func TestDamagedRefusedWithQuickCheck(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	j := mustOpen(t, path)
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	if err := j.PutRows(ctx, "r1", makeRows(5000)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := []byte(strings.Repeat("\xff", 4096))
	for off := int64(3 * 4096); off < fi.Size(); off += 3 * 4096 {
		f.WriteAt(junk, off)
	}
	f.Close()
	_, err = journal.Open(ctx, path, journal.Options{QuickCheck: true})
	if err == nil || !errors.Is(err, journal.ErrNotJournal) || !strings.HasPrefix(err.Error(), "journal "+path+" is damaged: ") {
		t.Fatalf("Open of a damaged journal: %v", err)
	}
}

func TestPutRowsChunksAndRepeats(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, journal.Memory)
	if err := j.CreateRun(ctx, testRun("r1", t0)); err != nil {
		t.Fatal(err)
	}
	rows := makeRows(1000)
	// A number given twice in one call: the later row wins, as with two calls.
	again := rows[60]
	again.Hash = "later"
	rows = append(rows[:100:100], append([]refbatch.RowRecord{again}, rows[100:]...)...)
	if err := j.PutRows(ctx, "r1", rows); err != nil {
		t.Fatal(err)
	}
	got, err := j.Rows(ctx, "r1")
	if err != nil || len(got) != 1000 {
		t.Fatalf("%d rows, %v", len(got), err)
	}
	for i, r := range got {
		want := makeRows(1000)[i]
		if i == 60 {
			want.Hash = "later"
		}
		if r != want {
			t.Fatalf("row %d: %+v, want %+v", i, r, want)
		}
	}
}
