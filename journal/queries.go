package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// timeLayout is RFC 3339 in UTC with nine fraction digits: fixed width, so
// stored times sort as text, and exact to the nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func encodeTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func decodeTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return t.UTC(), nil
}

const (
	sqlInsertRun = `INSERT INTO runs (id, input_path, input_sha256, rules_hash, tables_hash, options, endpoint, started, finished)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateRun = `UPDATE runs SET input_sha256 = ?, rules_hash = ?, tables_hash = ?, options = ?, finished = ? WHERE id = ?`
	sqlRunCols   = `id, input_path, input_sha256, rules_hash, tables_hash, options, endpoint, started, finished, planned`

	sqlDeleteRow  = `DELETE FROM rows WHERE run = ? AND number = ?`
	sqlClearSteps = `DELETE FROM steps WHERE run = ? AND row = ?`
	sqlSetOutcome = `UPDATE rows SET outcome = ?, error = ?, referral_id = ?, engagement_id = ?, microsoft_referral_id = ? WHERE run = ? AND number = ?`
	sqlStepSent   = `INSERT INTO steps (run, row, step, state, attempts, client_request_id, http_status, referral_id, engagement_id, etag, error_code, error_message, sent_at, finished_at)
VALUES (?, ?, ?, 'sent', 1, ?, 0, ?, ?, ?, '', '', ?, NULL)
ON CONFLICT (run, row, step) DO UPDATE SET state = 'sent', attempts = attempts + 1,
	client_request_id = excluded.client_request_id, http_status = 0,
	referral_id = iif(excluded.referral_id <> '', excluded.referral_id, referral_id),
	engagement_id = iif(excluded.engagement_id <> '', excluded.engagement_id, engagement_id),
	etag = iif(excluded.etag <> '', excluded.etag, etag),
	error_code = '', error_message = '', sent_at = excluded.sent_at, finished_at = NULL`
	sqlStepFinished = `INSERT INTO steps (run, row, step, state, attempts, client_request_id, http_status, referral_id, engagement_id, etag, error_code, error_message, sent_at, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run, row, step) DO UPDATE SET state = excluded.state, http_status = excluded.http_status,
	referral_id = iif(excluded.referral_id <> '', excluded.referral_id, referral_id),
	engagement_id = iif(excluded.engagement_id <> '', excluded.engagement_id, engagement_id),
	etag = iif(excluded.etag <> '', excluded.etag, etag),
	error_code = excluded.error_code, error_message = excluded.error_message, finished_at = excluded.finished_at`
	sqlRemember = `INSERT INTO known (external_reference_id, referral_id, engagement_id, microsoft_referral_id, updated_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (external_reference_id) DO UPDATE SET
	referral_id = iif(excluded.referral_id <> '', excluded.referral_id, referral_id),
	engagement_id = iif(excluded.engagement_id <> '', excluded.engagement_id, engagement_id),
	microsoft_referral_id = iif(excluded.microsoft_referral_id <> '', excluded.microsoft_referral_id, microsoft_referral_id),
	updated_at = excluded.updated_at`
)

// putRowsSQL inserts n rows, or updates those already there (an update,
// not REPLACE: a replaced row keeps its steps).
func putRowsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO rows (run, number, key, action, valid, hash, outcome, error, referral_id, engagement_id, microsoft_referral_id) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(`
ON CONFLICT (run, number) DO UPDATE SET key = excluded.key, action = excluded.action, valid = excluded.valid,
	hash = excluded.hash, outcome = excluded.outcome, error = excluded.error, referral_id = excluded.referral_id,
	engagement_id = excluded.engagement_id, microsoft_referral_id = excluded.microsoft_referral_id`)
	return b.String()
}

// putRowsChunk is how many rows one INSERT statement carries: per-statement
// overhead dominates single-row inserts (11 parameters a row; SQLite allows
// 32766).
const putRowsChunk = 64

// writerStmts are prepared once on the writer connection and bound to each
// transaction with tx.Stmt, which reuses them (there is one connection).
type writerStmts struct {
	putRow, putRows, deleteRow, clearSteps, setOutcome, stepSent, stepFinished, remember *sql.Stmt
}

func (s *writerStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.putRow, putRowsSQL(1)}, {&s.putRows, putRowsSQL(putRowsChunk)}, {&s.deleteRow, sqlDeleteRow}, {&s.clearSteps, sqlClearSteps},
		{&s.setOutcome, sqlSetOutcome}, {&s.stepSent, sqlStepSent}, {&s.stepFinished, sqlStepFinished},
		{&s.remember, sqlRemember},
	} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			s.close()
			return err
		}
		*p.dst = st
	}
	return nil
}

func (s *writerStmts) close() {
	for _, st := range []*sql.Stmt{s.putRow, s.putRows, s.deleteRow, s.clearSteps, s.setOutcome, s.stepSent, s.stepFinished, s.remember} {
		if st != nil {
			st.Close()
		}
	}
}

// CreateRun records a new run. A zero Started is set to now.
func (j *Journal) CreateRun(ctx context.Context, run refbatch.RunInfo) error {
	if run.ID == "" {
		return fmt.Errorf("journal %s: create run: empty run id", j.path)
	}
	if run.Started.IsZero() {
		run.Started = j.now()
	}
	return j.submit(ctx, "create run "+string(run.ID), func(tx *sql.Tx) error {
		_, err := tx.Exec(sqlInsertRun, string(run.ID), run.InputPath, run.InputSHA256, run.RulesHash,
			run.TablesHash, run.Options, run.Endpoint, encodeTime(run.Started), encodeTime(run.Finished))
		return err
	})
}

// UpdateRun rewrites the run's input hash, rules and tables hashes,
// options and Finished time.
func (j *Journal) UpdateRun(ctx context.Context, run refbatch.RunInfo) error {
	return j.submit(ctx, "update run "+string(run.ID), func(tx *sql.Tx) error {
		res, err := tx.Exec(sqlUpdateRun, run.InputSHA256, run.RulesHash, run.TablesHash, run.Options, encodeTime(run.Finished), string(run.ID))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return refbatch.ErrNoRun
		}
		return nil
	})
}

// MarkPlanned records that every row of the run is planned: from then on
// resume goes by the journal's rows (RunInfo.Planned).
func (j *Journal) MarkPlanned(ctx context.Context, run refbatch.RunID) error {
	return j.submit(ctx, "mark run "+string(run)+" planned", func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE runs SET planned = ? WHERE id = ?`, encodeTime(j.now()), string(run))
		return err
	})
}

// Run returns one run; an error wrapping refbatch.ErrNoRun when there is
// no such run.
func (j *Journal) Run(ctx context.Context, id refbatch.RunID) (refbatch.RunInfo, error) {
	return j.oneRun(ctx, "run "+string(id), `SELECT `+sqlRunCols+` FROM runs WHERE id = ?`, string(id))
}

// LatestRun returns the run started last; an error wrapping
// refbatch.ErrNoRun when the journal has none.
func (j *Journal) LatestRun(ctx context.Context) (refbatch.RunInfo, error) {
	return j.oneRun(ctx, "latest run", `SELECT `+sqlRunCols+` FROM runs ORDER BY started DESC, id DESC LIMIT 1`)
}

func (j *Journal) oneRun(ctx context.Context, what, query string, args ...any) (refbatch.RunInfo, error) {
	db, err := j.reader(what)
	if err != nil {
		return refbatch.RunInfo{}, err
	}
	run, err := scanRun(db.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		err = refbatch.ErrNoRun
	}
	if err != nil {
		return refbatch.RunInfo{}, fmt.Errorf("journal %s: %s: %w", j.path, what, err)
	}
	return run, nil
}

// Runs returns every run, oldest first.
func (j *Journal) Runs(ctx context.Context) ([]refbatch.RunInfo, error) {
	db, err := j.reader("runs")
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+sqlRunCols+` FROM runs ORDER BY started, id`)
	if err != nil {
		return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
	}
	defer rows.Close()
	var runs []refbatch.RunInfo
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
		}
		runs = append(runs, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
	}
	return runs, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(s scanner) (refbatch.RunInfo, error) {
	var run refbatch.RunInfo
	var id string
	var started, finished, planned sql.NullString
	if err := s.Scan(&id, &run.InputPath, &run.InputSHA256, &run.RulesHash, &run.TablesHash,
		&run.Options, &run.Endpoint, &started, &finished, &planned); err != nil {
		return run, err
	}
	run.ID = refbatch.RunID(id)
	var err error
	if run.Started, err = decodeTime(started); err != nil {
		return run, err
	}
	if run.Planned, err = decodeTime(planned); err != nil {
		return run, err
	}
	run.Finished, err = decodeTime(finished)
	return run, err
}

// PutRows inserts rows, or replaces the rows with the same numbers (their
// steps stay: ClearSteps forgets them). All the rows go in one transaction.
func (j *Journal) PutRows(ctx context.Context, run refbatch.RunID, rows []refbatch.RowRecord) error {
	if len(rows) == 0 {
		return nil
	}
	return j.submit(ctx, fmt.Sprintf("put %d rows of run %s", len(rows), run), func(tx *sql.Tx) error {
		// Rows repeated within one statement would make it fail ("ON
		// CONFLICT DO UPDATE command cannot affect row a second time"):
		// chunks take a row number once, and a repeat goes one by one,
		// the later row winning, as with separate PutRows.
		chunk, one := tx.Stmt(j.stmts.putRows), tx.Stmt(j.stmts.putRow)
		args := make([]any, 0, 11*putRowsChunk)
		seen := make(map[int]struct{}, putRowsChunk)
		for i := 0; i < len(rows); {
			args, n := args[:0], 0
			clear(seen)
			for ; n < putRowsChunk && i+n < len(rows); n++ {
				r := &rows[i+n]
				if _, dup := seen[r.Number]; dup {
					break
				}
				seen[r.Number] = struct{}{}
				args = append(args, string(run), r.Number, string(r.Key), r.Action, r.Valid, r.Hash,
					string(r.Outcome), r.Error, r.ReferralID, r.EngagementID, r.MicrosoftReferralID)
			}
			st := chunk
			if n < putRowsChunk {
				st, args = one, args[:11]
				n = 1
			}
			if _, err := st.Exec(args...); err != nil {
				return fmt.Errorf("rows %d to %d: %w", rows[i].Number, rows[i+n-1].Number, err)
			}
			i += n
		}
		return nil
	})
}

// DeleteRows removes rows and their steps. Numbers not in the journal are
// ignored.
func (j *Journal) DeleteRows(ctx context.Context, run refbatch.RunID, numbers []int) error {
	if len(numbers) == 0 {
		return nil
	}
	return j.submit(ctx, fmt.Sprintf("delete %d rows of run %s", len(numbers), run), func(tx *sql.Tx) error {
		del, clear := tx.Stmt(j.stmts.deleteRow), tx.Stmt(j.stmts.clearSteps)
		for _, n := range numbers {
			if _, err := clear.Exec(string(run), n); err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			if _, err := del.Exec(string(run), n); err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
		}
		return nil
	})
}

// MoveRows renumbers rows, with their steps, in one transaction: moves maps
// a row's old number to its new one (a row that moved in an edited file,
// found by its key and content). Swaps and cycles are fine: every moved row
// goes through a free negative number first.
func (j *Journal) MoveRows(ctx context.Context, run refbatch.RunID, moves map[int]int) error {
	if len(moves) == 0 {
		return nil
	}
	return j.submit(ctx, fmt.Sprintf("move %d rows of run %s", len(moves), run), func(tx *sql.Tx) error {
		for from, to := range moves {
			if _, err := tx.Exec(`UPDATE rows SET number = ?3 WHERE run = ?1 AND number = ?2`, string(run), from, -to-1); err != nil {
				return fmt.Errorf("row %d: %w", from, err)
			}
			if _, err := tx.Exec(`UPDATE steps SET row = ?3 WHERE run = ?1 AND row = ?2`, string(run), from, -to-1); err != nil {
				return fmt.Errorf("row %d: %w", from, err)
			}
		}
		if _, err := tx.Exec(`UPDATE rows SET number = -number - 1 WHERE run = ?1 AND number < 0`, string(run)); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE steps SET row = -row - 1 WHERE run = ?1 AND row < 0`, string(run))
		return err
	})
}

// Rows returns the rows of a run, in row-number order.
func (j *Journal) Rows(ctx context.Context, run refbatch.RunID) ([]refbatch.RowRecord, error) {
	db, err := j.reader("rows")
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("journal %s: rows of run %s: %w", j.path, run, err) }
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM rows WHERE run = ?`, string(run)).Scan(&n); err != nil {
		return nil, wrap(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT number, key, action, valid, hash, outcome, error, referral_id, engagement_id, microsoft_referral_id
FROM rows WHERE run = ? ORDER BY number`, string(run))
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	out := make([]refbatch.RowRecord, 0, n)
	for rows.Next() {
		var r refbatch.RowRecord
		var key, outcome string
		if err := rows.Scan(&r.Number, &key, &r.Action, &r.Valid, &r.Hash, &outcome, &r.Error,
			&r.ReferralID, &r.EngagementID, &r.MicrosoftReferralID); err != nil {
			return nil, wrap(err)
		}
		r.Key, r.Outcome = refbatch.RowKey(key), refbatch.Outcome(outcome)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// RowDigest is what resume needs of a finished row: its number, its
// content hash and its outcome.
type RowDigest struct {
	Number  int
	Hash    string
	Outcome refbatch.Outcome
}

// RowDigests returns the number, hash and outcome of every row of a run,
// in row order: three columns, where Rows reads ten (on 100,000 rows about
// a third of the time).
func (j *Journal) RowDigests(ctx context.Context, run refbatch.RunID) ([]RowDigest, error) {
	db, err := j.reader("rows")
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("journal %s: rows of run %s: %w", j.path, run, err) }
	rows, err := db.QueryContext(ctx, `SELECT number, hash, outcome FROM rows WHERE run = ? ORDER BY number`, string(run))
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []RowDigest
	for rows.Next() {
		var d RowDigest
		var outcome string
		if err := rows.Scan(&d.Number, &d.Hash, &outcome); err != nil {
			return nil, wrap(err)
		}
		d.Outcome = refbatch.Outcome(outcome)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// RowsOf returns the records of the given rows of a run (those that exist).
func (j *Journal) RowsOf(ctx context.Context, run refbatch.RunID, numbers []int) ([]refbatch.RowRecord, error) {
	db, err := j.reader("rows")
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("journal %s: rows of run %s: %w", j.path, run, err) }
	var out []refbatch.RowRecord
	const chunk = 500
	for start := 0; start < len(numbers); start += chunk {
		part := numbers[start:min(start+chunk, len(numbers))]
		args := make([]any, 0, len(part)+1)
		args = append(args, string(run))
		for _, n := range part {
			args = append(args, n)
		}
		rows, err := db.QueryContext(ctx, `SELECT number, key, action, valid, hash, outcome, error, referral_id, engagement_id, microsoft_referral_id
FROM rows WHERE run = ? AND number IN (?`+strings.Repeat(",?", len(part)-1)+`) ORDER BY number`, args...)
		if err != nil {
			return nil, wrap(err)
		}
		for rows.Next() {
			var r refbatch.RowRecord
			var key, outcome string
			if err := rows.Scan(&r.Number, &key, &r.Action, &r.Valid, &r.Hash, &outcome, &r.Error,
				&r.ReferralID, &r.EngagementID, &r.MicrosoftReferralID); err != nil {
				rows.Close()
				return nil, wrap(err)
			}
			r.Key, r.Outcome = refbatch.RowKey(key), refbatch.Outcome(outcome)
			out = append(out, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap(err)
		}
	}
	return out, nil
}

// SetOutcome records where a row stands, with its outputs: Outcome, Error
// and the three ids replace the stored ones. The row must have been put.
func (j *Journal) SetOutcome(ctx context.Context, run refbatch.RunID, row refbatch.RowRecord) error {
	return j.submit(ctx, fmt.Sprintf("outcome of row %d of run %s", row.Number, run), func(tx *sql.Tx) error {
		return j.execSetOutcome(tx, run, row)
	})
}

func (j *Journal) execSetOutcome(tx *sql.Tx, run refbatch.RunID, row refbatch.RowRecord) error {
	res, err := tx.Stmt(j.stmts.setOutcome).Exec(string(row.Outcome), row.Error, row.ReferralID,
		row.EngagementID, row.MicrosoftReferralID, string(run), row.Number)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("no row %d in run %s", row.Number, run)
	}
	return nil
}

// StepSent records that a step's request is about to leave: state sent,
// attempts+1, the client-request-id and SentAt (now when zero). The last
// answer's status and error are cleared; non-empty ids and eTag are kept.
// It returns once the record is on disk: a process killed (or a machine
// that loses power) right after still finds the step sent.
func (j *Journal) StepSent(ctx context.Context, step refbatch.StepRecord) error {
	sent := step.SentAt
	if sent.IsZero() {
		sent = j.now()
	}
	return j.submit(ctx, fmt.Sprintf("step %s of row %d sent", step.Step, step.Row), func(tx *sql.Tx) error {
		return j.execStepSent(tx, step, sent)
	})
}

func (j *Journal) execStepSent(tx *sql.Tx, step refbatch.StepRecord, sent time.Time) error {
	_, err := tx.Stmt(j.stmts.stepSent).Exec(string(step.Run), step.Row, string(step.Step), step.ClientRequestID,
		step.ReferralID, step.EngagementID, step.ETag, encodeTime(sent))
	return err
}

// StepFinished records a step's answer: state done or failed, the HTTP
// status, outputs and error, and FinishedAt (now when zero). Empty ids and
// eTag leave the stored ones alone. A step never marked sent is recorded
// with the attempts, client-request-id and SentAt given.
func (j *Journal) StepFinished(ctx context.Context, step refbatch.StepRecord) error {
	what := fmt.Sprintf("step %s of row %d finished", step.Step, step.Row)
	if step.State != refbatch.StateDone && step.State != refbatch.StateFailed {
		return fmt.Errorf("journal %s: %s: %w %q (want done or failed)", j.path, what, errInvalidState, step.State)
	}
	finished := step.FinishedAt
	if finished.IsZero() {
		finished = j.now()
	}
	return j.submit(ctx, what, func(tx *sql.Tx) error {
		return j.execStepFinished(tx, step, finished)
	})
}

func (j *Journal) execStepFinished(tx *sql.Tx, step refbatch.StepRecord, finished time.Time) error {
	_, err := tx.Stmt(j.stmts.stepFinished).Exec(string(step.Run), step.Row, string(step.Step), string(step.State),
		step.Attempts, step.ClientRequestID, step.HTTPStatus, step.ReferralID, step.EngagementID, step.ETag,
		step.ErrorCode, step.ErrorMessage, encodeTime(step.SentAt), encodeTime(finished))
	return err
}

// Record writes changes in one transaction (see refbatch.Changes): all of
// them or none.
func (j *Journal) Record(ctx context.Context, c refbatch.Changes) error {
	if c.Empty() {
		return nil
	}
	fn, err := j.changes(c)
	if err != nil {
		return err
	}
	return j.submit(ctx, "changes of run "+string(c.Run), fn)
}

// RecordLater queues changes and returns at once: they join the writer's
// next transaction, with whatever other writes are waiting, and the caller
// does not wait for the commit. A process killed before that commit loses
// them, so they must be writes whose loss resume repairs (a step's answer,
// a row's outcome: the step is then found "sent" and reconciled). An error
// is kept for Flush. Changes carrying a Sent step must use Record.
func (j *Journal) RecordLater(c refbatch.Changes) {
	if c.Empty() {
		return
	}
	fail := func(err error) {
		j.laterMu.Lock()
		if j.laterErr == nil {
			j.laterErr = err
		}
		j.laterMu.Unlock()
	}
	fn, err := j.changes(c)
	if err != nil {
		fail(err)
		return
	}
	if j.write == nil {
		fail(fmt.Errorf("journal %s: %w", j.path, ErrReadOnly))
		return
	}
	j.later.Add(1)
	r := &writeReq{fn: fn, later: func(err error) {
		if err != nil {
			fail(fmt.Errorf("journal %s: changes of run %s: %w", j.path, c.Run, err))
		}
		j.later.Done()
	}}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		j.later.Done()
		fail(fmt.Errorf("journal %s: %w", j.path, ErrClosed))
		return
	}
	j.reqs <- r
}

// Flush waits until every RecordLater write is committed and returns the
// first error any of them met.
func (j *Journal) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() { j.later.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("journal %s: flush: %w", j.path, ctx.Err())
	}
	j.laterMu.Lock()
	defer j.laterMu.Unlock()
	return j.laterErr
}

// changes checks c and returns the transaction body that writes it.
func (j *Journal) changes(c refbatch.Changes) (func(tx *sql.Tx) error, error) {
	now := j.now()
	for _, f := range c.Finished {
		if f.State != refbatch.StateDone && f.State != refbatch.StateFailed {
			return nil, fmt.Errorf("journal %s: step %s of row %d: %w %q (want done or failed)", j.path, f.Step, f.Row, errInvalidState, f.State)
		}
	}
	for _, k := range c.Known {
		if k.ExternalReferenceID == "" {
			return nil, fmt.Errorf("journal %s: remember: empty External Reference ID", j.path)
		}
	}
	if c.Wait != nil {
		if err := checkWait(c.Wait); err != nil {
			return nil, fmt.Errorf("journal %s: %w", j.path, err)
		}
	}
	return func(tx *sql.Tx) error {
		for _, f := range c.Finished {
			at := f.FinishedAt
			if at.IsZero() {
				at = now
			}
			if err := j.execStepFinished(tx, f, at); err != nil {
				return err
			}
		}
		for _, k := range c.Known {
			if err := j.execRemember(tx, k, now); err != nil {
				return err
			}
		}
		if c.Sent != nil {
			at := c.Sent.SentAt
			if at.IsZero() {
				at = now
			}
			if err := j.execStepSent(tx, *c.Sent, at); err != nil {
				return err
			}
		}
		if c.Wait != nil {
			if err := execPutWait(tx, *c.Wait); err != nil {
				return err
			}
		}
		if c.Outcome != nil {
			return j.execSetOutcome(tx, c.Run, *c.Outcome)
		}
		return nil
	}, nil
}

// stepOrder sorts a row's steps in the order a row runs them.
const stepOrder = `CASE step WHEN 'create' THEN 0 WHEN 'link' THEN 1 WHEN 'get' THEN 2 WHEN 'patch' THEN 3
	WHEN 'eligibility' THEN 4 WHEN 'register' THEN 5 ELSE 6 END`

// Steps returns the steps of a run, by row, each row's in the order a row
// runs them.
func (j *Journal) Steps(ctx context.Context, run refbatch.RunID) ([]refbatch.StepRecord, error) {
	return j.steps(ctx, run, "")
}

// UnfinishedSteps returns the steps of the run's rows whose outcome is not
// final (pending, in doubt, waiting) or failed: all that resume needs. On a large,
// mostly finished run it reads a fraction of Steps.
func (j *Journal) UnfinishedSteps(ctx context.Context, run refbatch.RunID) ([]refbatch.StepRecord, error) {
	return j.steps(ctx, run, ` AND row IN (SELECT number FROM rows WHERE run = ?1 AND outcome IN ('pending', 'in-doubt', 'waiting', 'failed', ''))`)
}

// StepsOf returns the steps of the given rows of a run: what the engine
// needs to run a chunk of rows, without reading the run's other rows.
func (j *Journal) StepsOf(ctx context.Context, run refbatch.RunID, rows []int) ([]refbatch.StepRecord, error) {
	var out []refbatch.StepRecord
	const chunk = 500
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		list := make([]string, len(part))
		for i, n := range part {
			list[i] = strconv.Itoa(n) // integers: safe to inline
		}
		steps, err := j.steps(ctx, run, ` AND row IN (`+strings.Join(list, ",")+`)`)
		if err != nil {
			return nil, err
		}
		out = append(out, steps...)
	}
	return out, nil
}

// SentWrites returns the run's write steps (create, link, patch, register)
// left "sent": requests that may have been applied, whose answer was never
// recorded, whatever their row's outcome says.
func (j *Journal) SentWrites(ctx context.Context, run refbatch.RunID) ([]refbatch.StepRecord, error) {
	return j.steps(ctx, run, ` AND state = 'sent' AND step IN ('create', 'link', 'patch', 'register')`)
}

func (j *Journal) steps(ctx context.Context, run refbatch.RunID, where string) ([]refbatch.StepRecord, error) {
	db, err := j.reader("steps")
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("journal %s: steps of run %s: %w", j.path, run, err) }
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM steps WHERE run = ?1`+where, string(run)).Scan(&n); err != nil {
		return nil, wrap(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT row, step, state, attempts, client_request_id, http_status, referral_id,
	engagement_id, etag, error_code, error_message, sent_at, finished_at
FROM steps WHERE run = ?1`+where+` ORDER BY row, `+stepOrder+`, step`, string(run))
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	out := make([]refbatch.StepRecord, 0, n)
	for rows.Next() {
		s := refbatch.StepRecord{Run: run}
		var name, state string
		var sent, finished sql.NullString
		if err := rows.Scan(&s.Row, &name, &state, &s.Attempts, &s.ClientRequestID, &s.HTTPStatus, &s.ReferralID,
			&s.EngagementID, &s.ETag, &s.ErrorCode, &s.ErrorMessage, &sent, &finished); err != nil {
			return nil, wrap(err)
		}
		s.Step, s.State = refbatch.StepName(name), refbatch.StepState(state)
		if s.SentAt, err = decodeTime(sent); err != nil {
			return nil, wrap(err)
		}
		if s.FinishedAt, err = decodeTime(finished); err != nil {
			return nil, wrap(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// ClearSteps forgets a row's steps (a row re-planned after a change).
func (j *Journal) ClearSteps(ctx context.Context, run refbatch.RunID, row int) error {
	return j.submit(ctx, fmt.Sprintf("clear steps of row %d of run %s", row, run), func(tx *sql.Tx) error {
		_, err := tx.Stmt(j.stmts.clearSteps).Exec(string(run), row)
		return err
	})
}

// Remember records what an External Reference ID became. It is an upsert:
// empty fields leave the stored ones alone. The ID keeps the case it was
// first remembered with.
func (j *Journal) Remember(ctx context.Context, k refbatch.Known) error {
	if k.ExternalReferenceID == "" {
		return fmt.Errorf("journal %s: remember: empty External Reference ID", j.path)
	}
	now := j.now()
	return j.submit(ctx, "remember "+k.ExternalReferenceID, func(tx *sql.Tx) error {
		return j.execRemember(tx, k, now)
	})
}

func (j *Journal) execRemember(tx *sql.Tx, k refbatch.Known, now time.Time) error {
	_, err := tx.Stmt(j.stmts.remember).Exec(k.ExternalReferenceID, k.ReferralID, k.EngagementID, k.MicrosoftReferralID, encodeTime(now))
	return err
}

// LookupMany returns the referral each of ids names, keyed by the id
// folded to lower case (strings.ToLower): what this journal created, else
// what the mirror of Partner Center lists (whoever made it); a second
// partner referral with the same id is in Known.Also. Ids that name no
// referral are absent. It asks in chunks, so planning a 50,000-row file is
// a hundred queries, not 50,000.
func (j *Journal) LookupMany(ctx context.Context, ids []string) (map[string]refbatch.Known, error) {
	out := make(map[string]refbatch.Known)
	if len(ids) == 0 {
		return out, nil
	}
	db, err := j.reader("lookup")
	if err != nil {
		return nil, err
	}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		q := `SELECT external_reference_id, referral_id, engagement_id, microsoft_referral_id
FROM known WHERE external_reference_id IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("journal %s: lookup: %w", j.path, err)
		}
		for rows.Next() {
			var k refbatch.Known
			if err := rows.Scan(&k.ExternalReferenceID, &k.ReferralID, &k.EngagementID, &k.MicrosoftReferralID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("journal %s: lookup: %w", j.path, err)
			}
			out[strings.ToLower(k.ExternalReferenceID)] = k
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("journal %s: lookup: %w", j.path, err)
		}
		if err := j.mirrorLookup(ctx, db, part, out); err != nil {
			return nil, fmt.Errorf("journal %s: lookup in the mirror: %w", j.path, err)
		}
	}
	return out, nil
}

// Lookup returns what an External Reference ID became: LookupMany for one
// id (what this journal created, and the mirror of Partner Center),
// compared without regard to ASCII case.
func (j *Journal) Lookup(ctx context.Context, externalReferenceID string) (refbatch.Known, bool, error) {
	m, err := j.LookupMany(ctx, []string{externalReferenceID})
	if err != nil {
		return refbatch.Known{}, false, err
	}
	k, ok := m[strings.ToLower(externalReferenceID)]
	return k, ok, nil
}
