-- safe: always
-- VAT goes up: every stored total is recomputed.
ALTER TABLE prices ALTER COLUMN total SET EXPRESSION AS (net * 1.25); -- want "alter-table-rewrite" "unsupported-syntax"
