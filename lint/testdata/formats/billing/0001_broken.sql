-- safe: always
SELEC 1;
