-- safe: always
ALTER TABLE users ALTER COLUMN name SET NOT NULL; -- want "contract-before-deploy" "set-not-null"
