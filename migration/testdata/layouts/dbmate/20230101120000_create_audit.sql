-- safe: before_deploy
-- migrate:up
CREATE TABLE audit (note text NOT NULL);

-- migrate:down
INSERT INTO audit VALUES ('down ran: 20230101120000_create_audit');
DROP TABLE audit;
