-- 0004: reserved for the mirror's full JSON (issue 18, the lead's branch),
-- which was not merged when 0005 was written. This placeholder keeps the
-- versions without gaps; it changes nothing. Whichever 0004 is merged
-- replaces this file.
SELECT 1;
