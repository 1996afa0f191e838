-- safe: always
ALTER INDEX clients_pkey RENAME TO clients_pk;
