-- safe: always
-- big_orders reads order_totals: the CASCADE drops it, and it is re-created too.
DROP VIEW order_totals CASCADE;
CREATE VIEW order_totals AS SELECT * FROM orders WHERE total >= 0;
CREATE VIEW big_orders AS SELECT id, total FROM order_totals WHERE total > 1000;
