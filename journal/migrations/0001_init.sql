-- 0001: the first schema of the refbatch journal (SPEC §7).
--
-- Times are TEXT in UTC, RFC 3339 with nine fraction digits
-- ("2026-12-02T06:45:01.000000000Z"): fixed width, so they sort as text and
-- read well in the sqlite3 shell. NULL means "not yet" (finished, sent_at,
-- finished_at). Nothing here ever holds a token or a secret.

-- "RFBJ": tells a refbatch journal from any other SQLite file.
PRAGMA application_id = 1380336202;

CREATE TABLE runs (
    id           TEXT NOT NULL PRIMARY KEY,
    input_path   TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    rules_hash   TEXT NOT NULL,
    tables_hash  TEXT NOT NULL,
    options      TEXT NOT NULL, -- JSON of the options that shape the plan
    endpoint     TEXT NOT NULL,
    started      TEXT NOT NULL,
    finished     TEXT
) STRICT;

CREATE INDEX runs_by_started ON runs (started, id);

CREATE TABLE rows (
    run                   TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number                INTEGER NOT NULL,
    key                   TEXT    NOT NULL,
    action                TEXT    NOT NULL,
    valid                 INTEGER NOT NULL,
    hash                  TEXT    NOT NULL,
    outcome               TEXT    NOT NULL,
    error                 TEXT    NOT NULL,
    referral_id           TEXT    NOT NULL,
    engagement_id         TEXT    NOT NULL,
    microsoft_referral_id TEXT    NOT NULL,
    PRIMARY KEY (run, number)
) STRICT, WITHOUT ROWID;

-- A step names its row by number but has no foreign key to rows: the
-- journal does not impose an order between PutRows and StepSent. DeleteRows
-- removes a row's steps itself.
CREATE TABLE steps (
    run               TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    row               INTEGER NOT NULL,
    step              TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('sent', 'done', 'failed')),
    attempts          INTEGER NOT NULL,
    client_request_id TEXT    NOT NULL,
    http_status       INTEGER NOT NULL,
    referral_id       TEXT    NOT NULL,
    engagement_id     TEXT    NOT NULL,
    etag              TEXT    NOT NULL,
    error_code        TEXT    NOT NULL,
    error_message     TEXT    NOT NULL,
    sent_at           TEXT,
    finished_at       TEXT,
    PRIMARY KEY (run, row, step)
) STRICT, WITHOUT ROWID;

-- What each External Reference ID became, across runs: running the same
-- file twice never creates twice. NOCASE folds ASCII letters only.
CREATE TABLE known (
    external_reference_id TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
    referral_id           TEXT NOT NULL,
    engagement_id         TEXT NOT NULL,
    microsoft_referral_id TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT, WITHOUT ROWID;
