-- safe: before_deploy
-- depends: 20230102120000
-- +goose Up
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);

-- +goose Down
INSERT INTO audit VALUES ('down ran: billing/20230104120000_create_invoices');
DROP TABLE invoices;
