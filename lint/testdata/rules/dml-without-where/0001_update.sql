-- safe: always
UPDATE users SET flag = false; -- want "dml-without-where"
DELETE FROM sessions; -- want "dml-without-where"
