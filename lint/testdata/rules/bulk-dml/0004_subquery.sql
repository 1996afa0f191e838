-- safe: always
DELETE FROM orders WHERE id IN (SELECT id FROM orders); -- want "bulk-dml"
DELETE FROM orders WHERE id = ANY(ARRAY(SELECT id FROM orders WHERE status = 'void')); -- want "bulk-dml"
