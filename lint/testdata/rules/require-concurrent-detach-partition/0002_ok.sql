-- safe: after_deploy
-- transaction: false
ALTER TABLE measurements DETACH PARTITION measurements_2021 CONCURRENTLY;
