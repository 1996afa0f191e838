-- safe: before_deploy

CREATE TABLE plans (
    code          text PRIMARY KEY,
    name          text    NOT NULL,
    monthly_cents integer NOT NULL CHECK (monthly_cents >= 0)
);
