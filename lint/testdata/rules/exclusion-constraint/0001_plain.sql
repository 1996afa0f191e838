-- safe: before_deploy
ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&); -- want "exclusion-constraint"
