-- Hardening: holds with a cap, user names unique regardless of case,
-- sessions kept as hashes.

-- A hold remembers when its holder first took it: extensions stop at
-- max_hold from then. Holds standing at the upgrade are counted as taken
-- one default lock time (300 s) before they end.
ALTER TABLE seats ADD COLUMN held_since TIMESTAMPTZ;
UPDATE seats SET held_since = held_until - INTERVAL '300 seconds' WHERE held_by IS NOT NULL;
ALTER TABLE seats ADD CONSTRAINT seats_held_since_with_holder
    CHECK ((held_by IS NULL) = (held_since IS NULL));

-- `Alice` is taken once `alice` exists. Names are ASCII, which lower()
-- folds. Two names that differ only in case stop the migration, named in
-- its error, so nothing is merged behind anyone's back.
DO $$
DECLARE
    clashes TEXT;
BEGIN
    SELECT string_agg(names, '; ' ORDER BY folded COLLATE "C") INTO clashes
    FROM (SELECT lower(username) AS folded,
                 string_agg(username, ', ' ORDER BY username COLLATE "C") AS names
          FROM users GROUP BY lower(username) HAVING COUNT(*) > 1) AS groups;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'user names that differ only in case: %. Rename all but one of each (UPDATE users SET username = ...) and start again', clashes;
    END IF;
END
$$;
CREATE UNIQUE INDEX users_by_folded_name ON users (lower(username));

-- Sessions are kept as the SHA-256 of their id (64 hex digits), so a copy
-- of the database holds no cookie anyone could present. Existing sessions
-- are stored in plain text and cannot be converted: they are deleted, and
-- their users log in again.
DELETE FROM sessions;
ALTER TABLE sessions RENAME COLUMN id TO id_sha256;
