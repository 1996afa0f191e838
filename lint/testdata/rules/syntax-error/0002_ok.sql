-- safe: always
SELECT 'SELEC 2;';
