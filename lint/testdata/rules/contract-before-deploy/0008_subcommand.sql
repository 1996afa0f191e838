-- safe: before_deploy
ALTER TABLE events
  ADD COLUMN source text,
  DROP COLUMN weight; -- want "contract-before-deploy" "drop-column"
