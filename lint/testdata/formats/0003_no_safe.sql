ALTER TABLE users ADD COLUMN plan text;
