-- safe: always
ALTER TABLE orders VALIDATE CONSTRAINT orders_shop_fk;
