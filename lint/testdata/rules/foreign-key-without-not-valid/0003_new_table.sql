-- safe: before_deploy
CREATE TABLE order_notes AS SELECT id AS order_id, 'imported'::text AS note FROM orders;
ALTER TABLE order_notes ADD CONSTRAINT order_notes_order_fk FOREIGN KEY (order_id) REFERENCES orders (id); -- want "foreign-key-without-not-valid"
