INSERT INTO audit VALUES ('down ran: 000003_index_users_email');
DROP INDEX CONCURRENTLY users_email;
