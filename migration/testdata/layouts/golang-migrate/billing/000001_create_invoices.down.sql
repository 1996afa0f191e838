INSERT INTO audit VALUES ('down ran: billing/000001_create_invoices');
DROP TABLE invoices;
