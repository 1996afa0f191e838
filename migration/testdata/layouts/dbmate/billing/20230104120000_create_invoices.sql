-- safe: before_deploy
-- depends: 20230102120000
-- migrate:up
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);

-- migrate:down
INSERT INTO audit VALUES ('down ran: billing/20230104120000_create_invoices');
DROP TABLE invoices;
