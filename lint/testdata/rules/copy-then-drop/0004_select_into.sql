-- safe: after_deploy
SELECT * INTO visits_copy FROM visits; -- want "expand-after-deploy"
DROP TABLE visits; -- want "copy-then-drop" "drop-table"
