-- safe: after_deploy
-- delay: 7 days
SELECT 1;
