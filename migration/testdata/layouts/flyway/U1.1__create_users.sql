INSERT INTO audit VALUES ('down ran: 1.1__create_users');
DROP TABLE users;
