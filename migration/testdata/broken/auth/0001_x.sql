-- safe: before_deploy
-- saftey: always

-- delay: 1h
-- lock_timeout: 5 seconds
SELECT 1;
