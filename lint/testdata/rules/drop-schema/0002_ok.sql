-- safe: before_deploy
CREATE SCHEMA IF NOT EXISTS reporting2;
