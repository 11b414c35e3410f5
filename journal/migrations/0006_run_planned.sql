-- 0006: when a run's rows were all planned. A run is recorded before its
-- rows are planned, a chunk at a time; a process killed in between left a
-- run with some rows or none, and resume went on with those alone, so the
-- rest of the file was never loaded. planned is NULL until the last chunk
-- is in: resume plans what is missing first (those rows were never sent).
-- Runs recorded before this migration count as planned.
ALTER TABLE runs ADD COLUMN planned TEXT;
UPDATE runs SET planned = started;
