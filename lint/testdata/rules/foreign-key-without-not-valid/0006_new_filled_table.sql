-- safe: before_deploy
-- Ratings move out of orders into their own table, filled from it.
CREATE TABLE order_ratings (order_id bigint NOT NULL, stars int NOT NULL);
INSERT INTO order_ratings (order_id, stars) SELECT id, 5 FROM orders WHERE id < 1000;
ALTER TABLE order_ratings ADD CONSTRAINT order_ratings_order_fk FOREIGN KEY (order_id) REFERENCES orders (id); -- want "foreign-key-without-not-valid"
