-- 0003: the request rate a run ended at, per endpoint, so the next run
-- against the same endpoint starts there instead of bursting (issue 16).
-- The rate is requests per second; endpoint is the API's base URL as the
-- run was given it.

CREATE TABLE endpoint_rates (
    endpoint TEXT NOT NULL PRIMARY KEY,
    rate     REAL NOT NULL CHECK (rate > 0),
    updated  TEXT NOT NULL
) STRICT;
