-- safe: always
-- Start the new billing period: drop old orders, copy tiers from customers.
DELETE FROM orders WHERE id > 0; -- want "bulk-dml"
MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN UPDATE SET tier = c.tier; -- want "bulk-dml"
DELETE FROM orders WHERE id >= 10000 AND id < 20000;
MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN NOT MATCHED THEN DO NOTHING;
