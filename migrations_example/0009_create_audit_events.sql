-- safe: before_deploy
--
-- The next release writes audit events. It follows the contract steps
-- above in the root chain, so the release phase cannot run it until the
-- post-deploy phase has run them: strict mode refuses, nonstrict skips it.

CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      REFERENCES users (id),
    action      text        NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL DEFAULT now()
);
