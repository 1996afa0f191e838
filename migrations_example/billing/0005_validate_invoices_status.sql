-- safe: always

ALTER TABLE invoices VALIDATE CONSTRAINT invoices_status_check;
