-- safe: before_deploy
ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED; -- want "add-column-generated-stored"
