-- safe: before_deploy
CREATE TABLE customers (id bigint PRIMARY KEY, email text UNIQUE, tier text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, tier text, status text, created_at timestamptz);
CREATE INDEX orders_customer ON orders (customer_id);
