-- safe: always
UPDATE orders SET status = 'done' WHERE id = 42;
UPDATE orders o SET tier = c.tier FROM customers c WHERE o.customer_id = c.id AND o.id BETWEEN 1 AND 10000;
DELETE FROM customers WHERE email = 'spam@example.com';
DELETE FROM orders WHERE customer_id IN (7, 8) OR (id >= 1 AND id < 100);
UPDATE orders SET tier = 'basic' WHERE tier IS NULL;
DELETE FROM orders WHERE id IN (SELECT id FROM orders WHERE status = 'void' LIMIT 5000);
