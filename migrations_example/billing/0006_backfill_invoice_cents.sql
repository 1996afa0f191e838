-- safe: always

UPDATE invoices SET total_cents = round(total * 100) WHERE total_cents IS NULL AND total IS NOT NULL;
