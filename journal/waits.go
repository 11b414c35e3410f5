package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/refbatch/refbatch"
)

// Rows that wait (refbatch.OutcomeWaiting): what each waits for, when it
// may be checked again, its deadline, and the row's values for sync.

const sqlPutWait = `INSERT INTO waits (run, row, step, reason, since, checked, next_check, deadline, facts)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run, row) DO UPDATE SET step = excluded.step, reason = excluded.reason, since = excluded.since,
	checked = excluded.checked, next_check = excluded.next_check, deadline = excluded.deadline,
	facts = iif(excluded.facts <> '', excluded.facts, facts)`

func execPutWait(tx *sql.Tx, w refbatch.Wait) error {
	_, err := tx.Exec(sqlPutWait, string(w.Run), w.Row, string(w.Step), string(w.Reason), encodeTime(w.Since),
		encodeTime(w.Checked), encodeTime(w.NextCheck), encodeTime(w.Deadline), string(w.Facts))
	return err
}

func checkWait(w *refbatch.Wait) error {
	if w.Since.IsZero() || w.Checked.IsZero() || w.NextCheck.IsZero() || w.Deadline.IsZero() {
		return fmt.Errorf("wait of row %d: since, checked, next check and deadline must be set", w.Row)
	}
	return nil
}

const sqlWaitCols = `w.run, w.row, w.step, w.reason, w.since, w.checked, w.next_check, w.deadline, w.facts`

// WaitsOf returns the waits of the given rows of a run (those that have
// one), without their facts: what the engine needs to decide whether a
// waiting row is checked again.
func (j *Journal) WaitsOf(ctx context.Context, run refbatch.RunID, rows []int) ([]refbatch.Wait, error) {
	var out []refbatch.Wait
	const chunk = 500
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		list := make([]string, len(part))
		for i, n := range part {
			list[i] = strconv.Itoa(n) // integers: safe to inline
		}
		ws, err := j.waits(ctx, `WHERE w.run = ?1 AND w.row IN (`+strings.Join(list, ",")+`)`, false, string(run))
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
	}
	return out, nil
}

// Waiting returns, across every run, the waits of the rows sync may
// advance, with their facts, by run and row: rows left waiting, and rows
// that a wait brought to pending or in doubt (a sync stopped while their
// step was sent).
func (j *Journal) Waiting(ctx context.Context) ([]refbatch.Wait, error) {
	return j.waits(ctx, `JOIN rows r ON r.run = w.run AND r.number = w.row
WHERE r.outcome IN ('waiting', 'pending', 'in-doubt')`, true)
}

func (j *Journal) waits(ctx context.Context, where string, facts bool, args ...any) ([]refbatch.Wait, error) {
	db, err := j.reader("waits")
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("journal %s: waits: %w", j.path, err) }
	cols := sqlWaitCols
	if !facts {
		cols = strings.Replace(cols, "w.facts", "''", 1)
	}
	rows, err := db.QueryContext(ctx, `SELECT `+cols+` FROM waits w `+where+` ORDER BY w.run, w.row`, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []refbatch.Wait
	for rows.Next() {
		var w refbatch.Wait
		var run, step, reason, f string
		var since, checked, next, deadline sql.NullString
		if err := rows.Scan(&run, &w.Row, &step, &reason, &since, &checked, &next, &deadline, &f); err != nil {
			return nil, wrap(err)
		}
		w.Run, w.Step, w.Reason = refbatch.RunID(run), refbatch.StepName(step), refbatch.WaitReason(reason)
		for _, t := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&w.Since, since}, {&w.Checked, checked}, {&w.NextCheck, next}, {&w.Deadline, deadline}} {
			if *t.dst, err = decodeTime(t.src); err != nil {
				return nil, wrap(err)
			}
		}
		if f != "" {
			w.Facts = []byte(f)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}
