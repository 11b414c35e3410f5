-- 0002: Partner Center as the source of truth (SPEC §7).
--
-- A journal belongs to one endpoint: the first run binds it, and a run or
-- resume against another is refused before anything is sent. Journals made
-- before this migration are bound to the endpoint of their first run.
CREATE TABLE binding (
    one            INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
    endpoint       TEXT    NOT NULL,
    tenant         TEXT    NOT NULL, -- from the access token, where it says; '' when unknown
    bound          TEXT    NOT NULL,
    mirror_full    TEXT,             -- when the mirror's first full listing ended; NULL: not yet
    mirror_updated TEXT              -- the newest updatedDateTime the mirror has seen (the API's clock)
) STRICT;

INSERT INTO binding (one, endpoint, tenant, bound)
SELECT 1, endpoint, '', started FROM runs ORDER BY started, id LIMIT 1;

-- The mirror: the referrals Partner Center lists for the partner, as the
-- documented listing shows them (a cache: Partner Center is the source of
-- truth). Upsert by External Reference ID looks here as well as at what
-- this journal created.
CREATE TABLE mirror (
    id                    TEXT NOT NULL PRIMARY KEY,
    engagement_id         TEXT NOT NULL,
    organization_id       TEXT NOT NULL,
    external_reference_id TEXT NOT NULL COLLATE NOCASE,
    status                TEXT NOT NULL,
    substatus             TEXT NOT NULL,
    created               TEXT,
    updated               TEXT
) STRICT, WITHOUT ROWID;

CREATE INDEX mirror_by_external_reference_id ON mirror (external_reference_id) WHERE external_reference_id <> '';
CREATE INDEX mirror_by_engagement ON mirror (engagement_id);
