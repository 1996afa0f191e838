-- safe: before_deploy
-- delay: 7d
SELECT 1;
