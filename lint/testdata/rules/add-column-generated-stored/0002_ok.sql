-- safe: before_deploy
CREATE TABLE lines (price numeric, qty int, total numeric GENERATED ALWAYS AS (price * qty) STORED);
