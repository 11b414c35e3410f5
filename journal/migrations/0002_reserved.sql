-- 0002: reserved for another change being made at the same time (its
-- migration takes this number). Migrations must be numbered without gaps,
-- so this placeholder keeps 0003 loadable meanwhile; when that change is
-- merged, its 0002 replaces this file (two version-2 files fail every
-- Open loudly, so neither can be kept by mistake).
SELECT 1;
