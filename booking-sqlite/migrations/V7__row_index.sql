-- The seat's row is `row_index`, as in the PostgreSQL schema (an index from
-- 0 for row A; its label is `label`). SQLite renames it in the indexes and
-- constraints that name it too.
ALTER TABLE seats RENAME COLUMN row TO row_index;
