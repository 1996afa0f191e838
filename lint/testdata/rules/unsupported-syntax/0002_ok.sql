-- safe: before_deploy
CREATE TABLE invoice_totals_2 AS SELECT * FROM (SELECT customer_id, sum(amount) AS total FROM invoices GROUP BY customer_id) AS t;
MERGE INTO customers c USING staged s ON c.id = s.id WHEN MATCHED THEN UPDATE SET email = s.email; -- want "bulk-dml"
