-- safe: always
GRANT SELECT ON events TO reporting;
ALTER TABLE events DROP CONSTRAINT events_kind_check;
