INSERT INTO audit VALUES ('down ran: 1.10__index_users_name');
DROP INDEX CONCURRENTLY users_name;
