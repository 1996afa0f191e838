-- safe: before_deploy
ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true, ADD COLUMN seen_at timestamptz DEFAULT now();
