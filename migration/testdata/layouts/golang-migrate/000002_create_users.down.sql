INSERT INTO audit VALUES ('down ran: 000002_create_users');
DROP TABLE users;
