-- safe: before_deploy
SELECT 1;
