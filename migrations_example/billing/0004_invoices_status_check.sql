-- safe: before_deploy
-- depends: 0002
--
-- NOT VALID: new rows are checked at once, existing rows are validated in
-- the next migration without blocking writes. Invoice owners are users
-- from now on, hence the dependency on the root chain's users table.

ALTER TABLE invoices
    ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('draft', 'open', 'paid', 'void')) NOT VALID;
