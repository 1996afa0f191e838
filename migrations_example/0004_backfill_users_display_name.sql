-- safe: always
--
-- Backfill: safe with old and new code alike. Runs in batches so that no
-- single statement holds row locks on the whole table for long.

DO $$
DECLARE
    updated integer;
BEGIN
    LOOP
        UPDATE users
           SET display_name = full_name
         WHERE id IN (SELECT id FROM users
                       WHERE display_name IS NULL AND full_name IS NOT NULL
                       LIMIT 5000);
        GET DIAGNOSTICS updated = ROW_COUNT;
        EXIT WHEN updated = 0;
    END LOOP;
END
$$;
