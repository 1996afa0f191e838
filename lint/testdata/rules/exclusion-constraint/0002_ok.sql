-- safe: before_deploy
CREATE TABLE rooms (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));
