-- safe: always
DROP INDEX users_email; -- want "require-concurrent-drop-index"
