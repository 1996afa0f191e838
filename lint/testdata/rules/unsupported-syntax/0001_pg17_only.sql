-- safe: before_deploy
-- Written against a PostgreSQL 17 laptop, deployed to 15.
CREATE TABLE invoice_totals AS SELECT * FROM (SELECT customer_id, sum(amount) AS total FROM invoices GROUP BY customer_id); -- want "unsupported-syntax"
CREATE UNIQUE INDEX customers_email ON customers (email) NULLS NOT DISTINCT; -- want "require-concurrent-index"
MERGE INTO customers c USING staged s ON c.id = s.id WHEN MATCHED THEN UPDATE SET email = s.email RETURNING c.id; -- want "unsupported-syntax" "bulk-dml"
SELECT jt.* FROM events, JSON_TABLE(payload, '$.items[*]' COLUMNS (sku text PATH '$.sku')) AS jt; -- want "unsupported-syntax"
