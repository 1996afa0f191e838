-- safe: before_deploy
ALTER TABLE events ADD COLUMN seq bigserial; -- want "add-column-serial"
