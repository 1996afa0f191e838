-- A goose history, read in place.
-- safe: before_deploy
-- +goose Up
CREATE TABLE audit (note text NOT NULL);

-- +goose Down
INSERT INTO audit VALUES ('down ran: 20230101120000_create_audit');
DROP TABLE audit;
