-- safe: before_deploy
ALTER TABLE orders ADD CONSTRAINT orders_qty CHECK (qty > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_qty; -- want "validate-in-same-transaction"
