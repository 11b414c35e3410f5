-- 0004: the mirror keeps each referral as Partner Center listed it (issue
-- 18), so that `pull` can write the partner's referrals back into a
-- workbook and `status` can show Microsoft's side without asking again.
--
-- doc is the referral's JSON as the listing answered it; direction is
-- "Incoming" for leads sent to the partner, "Outgoing" for the partner's
-- own. Mirrors filled before this migration have neither, so the next
-- refresh lists the endpoint in full again (mirror_full is cleared).
ALTER TABLE mirror ADD COLUMN etag TEXT NOT NULL DEFAULT '';
ALTER TABLE mirror ADD COLUMN direction TEXT NOT NULL DEFAULT '';
ALTER TABLE mirror ADD COLUMN doc TEXT;

UPDATE binding SET mirror_full = NULL;

CREATE INDEX mirror_by_updated ON mirror (updated);
-- pull lists the mirror oldest first, streaming: in index order, not sorted.
CREATE INDEX mirror_by_created ON mirror (created, id);
