INSERT INTO audit VALUES ('down ran: billing/1__create_invoices');
DROP TABLE invoices;
