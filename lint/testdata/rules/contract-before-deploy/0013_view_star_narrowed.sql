-- safe: always
-- order_totals was SELECT * FROM orders: id, user_id and total.
DROP VIEW order_totals;
CREATE VIEW order_totals AS SELECT id, total FROM orders; -- want "contract-before-deploy"
