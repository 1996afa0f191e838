-- safe: always
-- transaction: false
VACUUM FULL users; -- want "vacuum-full"
