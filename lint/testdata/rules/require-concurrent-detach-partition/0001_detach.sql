-- safe: after_deploy
ALTER TABLE measurements DETACH PARTITION measurements_2020; -- want "require-concurrent-detach-partition"
