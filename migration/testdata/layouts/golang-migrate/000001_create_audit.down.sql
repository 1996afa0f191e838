INSERT INTO audit VALUES ('down ran: 000001_create_audit');
DROP TABLE audit;
