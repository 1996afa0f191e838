-- safe: before_deploy
CREATE TABLE order_tags (order_id bigint REFERENCES orders (id), tag text);
CREATE TABLE order_flags AS SELECT id AS order_id FROM orders;
ALTER TABLE order_flags ADD CONSTRAINT order_flags_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
