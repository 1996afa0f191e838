-- safe: always
SELECT 1;
SELEC 2; -- want "syntax-error"
