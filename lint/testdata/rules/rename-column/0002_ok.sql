-- safe: before_deploy
CREATE TABLE drafts (titel text);
ALTER TABLE drafts RENAME COLUMN titel TO title;
