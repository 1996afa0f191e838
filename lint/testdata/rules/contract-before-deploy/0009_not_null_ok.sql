-- safe: before_deploy
-- events.id is the primary key since 0000, so NOT NULL: old code's inserts that leave it empty fail today.
ALTER TABLE events ALTER COLUMN id SET NOT NULL;
