-- safe: before_deploy
CREATE SEQUENCE invoices_id_seq;
CREATE TABLE invoices (id bigint DEFAULT nextval('invoices_id_seq') PRIMARY KEY, note text);
ALTER TABLE invoices ALTER COLUMN id SET DEFAULT nextval('invoices_id_seq');
SELECT pg_notify('invoices', 'created');
