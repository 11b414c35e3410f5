-- 0005: rows that wait (issue 18). A deal registration may wait days for
-- Microsoft to accept its co-sell referral (or for the deal to be old
-- enough): the run ends with the row "waiting", and this table keeps what
-- it waits for, when it may be checked again and when waiting ends in
-- failure. facts is the row's typed values as JSON (no cells), so that
-- `refbatch sync` finishes the row from the journal alone, without the
-- input file. Times are as in 0001.
CREATE TABLE waits (
    run        TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    row        INTEGER NOT NULL,
    step       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    since      TEXT    NOT NULL,
    checked    TEXT    NOT NULL,
    next_check TEXT    NOT NULL,
    deadline   TEXT    NOT NULL,
    facts      TEXT    NOT NULL,
    PRIMARY KEY (run, row)
) STRICT, WITHOUT ROWID;

-- A wait belongs to its row: it goes when the row goes, follows it when
-- the row is renumbered (a row that moved in an edited file), and is
-- forgotten when the row is planned afresh (its content changed).
CREATE TRIGGER waits_follow_deleted_row AFTER DELETE ON rows BEGIN
    DELETE FROM waits WHERE run = old.run AND row = old.number;
END;

CREATE TRIGGER waits_follow_moved_row AFTER UPDATE OF number ON rows WHEN old.number <> new.number BEGIN
    UPDATE waits SET row = new.number WHERE run = old.run AND row = old.number;
END;

CREATE TRIGGER waits_forget_replanned_row AFTER UPDATE OF hash ON rows WHEN old.hash <> new.hash BEGIN
    DELETE FROM waits WHERE run = old.run AND row = old.number;
END;
