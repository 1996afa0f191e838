-- safe: before_deploy
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total numeric NOT NULL);
CREATE VIEW order_totals AS SELECT * FROM orders;
CREATE VIEW big_orders AS SELECT id, total FROM order_totals WHERE total > 100;
