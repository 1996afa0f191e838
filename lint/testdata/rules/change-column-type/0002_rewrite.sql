-- safe: after_deploy
ALTER TABLE accounts ALTER COLUMN id TYPE bigint; -- want "change-column-type" "expand-after-deploy"
ALTER TABLE accounts ALTER COLUMN code TYPE varchar(5); -- want "change-column-type" "multiple-access-exclusive"
