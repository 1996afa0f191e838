-- safe: before_deploy
-- events.id is a serial, an int4: bigint widens it (the rewrite is change-column-type's business).
ALTER TABLE events ALTER COLUMN id TYPE bigint; -- want "change-column-type"
