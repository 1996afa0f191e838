-- safe: always
-- Freeze sign-ups during the move.
CREATE RULE accounts_no_insert AS ON INSERT TO accounts DO INSTEAD NOTHING; -- want "opaque-statement" "contract-before-deploy"
