-- Hardening: holds with a cap, user names unique regardless of case,
-- sessions kept as hashes.

-- A hold remembers when its holder first took it: extensions stop at
-- max_hold from then. Holds standing at the upgrade are counted as taken
-- one default lock time (300 s) before they end.
ALTER TABLE seats ADD COLUMN held_since INTEGER;
UPDATE seats SET held_since = held_until - 300000000 WHERE held_by IS NOT NULL;

-- `Alice` is taken once `alice` exists. Names are ASCII, which lower()
-- folds. The program refuses to run this migration while two names differ
-- only in case (it lists them), so nothing is merged behind anyone's back.
CREATE UNIQUE INDEX users_by_folded_name ON users (lower(username));

-- Sessions are kept as the SHA-256 of their id (64 hex digits), so a copy
-- of the database holds no cookie anyone could present. Existing sessions
-- are stored in plain text and cannot be converted: they are deleted, and
-- their users log in again.
DELETE FROM sessions;
ALTER TABLE sessions RENAME COLUMN id TO id_sha256;
