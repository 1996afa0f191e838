-- safe: befor_deploy
--
-- transaction: maybe
SELECT 1;
