-- safe: always
UPDATE orders o SET tier = c.tier FROM customers c WHERE o.customer_id = c.id; -- want "bulk-dml"
DELETE FROM orders WHERE status = 'cancelled'; -- want "bulk-dml"
