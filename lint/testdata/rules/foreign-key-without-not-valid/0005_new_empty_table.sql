-- safe: before_deploy
-- Order reviews: the table starts empty, its foreign keys come after it.
CREATE TABLE order_reviews (id bigserial PRIMARY KEY, order_id bigint NOT NULL, stars int NOT NULL);
CREATE INDEX order_reviews_order_id ON order_reviews (order_id);
ALTER TABLE order_reviews ADD CONSTRAINT order_reviews_order_fk FOREIGN KEY (order_id) REFERENCES orders (id); -- want "foreign-key-without-not-valid"
