-- safe: befor_deploy
SELECT 1;
