INSERT INTO audit VALUES ('down ran: 1.2__add_users_name');
ALTER TABLE users DROP COLUMN name;
