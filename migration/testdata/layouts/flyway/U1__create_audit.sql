INSERT INTO audit VALUES ('down ran: 1__create_audit');
DROP TABLE audit;
