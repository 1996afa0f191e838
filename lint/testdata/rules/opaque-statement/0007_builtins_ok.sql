-- safe: always
UPDATE accounts SET name = lower(name) WHERE id = 42;
INSERT INTO accounts (id, email) VALUES (1, concat('a', '@example.com'));
