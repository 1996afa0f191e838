-- safe: before_deploy
-- depends: 1.1
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);
