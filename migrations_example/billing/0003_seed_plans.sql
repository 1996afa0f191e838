-- safe: always
--
-- Reference data both old and new code read. Idempotent.

INSERT INTO plans (code, name, monthly_cents) VALUES
    ('free', 'Free',     0),
    ('team', 'Team',  2900),
    ('corp', 'Corp', 19900)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, monthly_cents = EXCLUDED.monthly_cents;
