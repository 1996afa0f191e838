-- safe: always
UPDATE accounts SET name = uuid_generate_v1mc()::text WHERE id = 1;
SELECT uuid_generate_v5(uuid_ns_url(), 'https://example.com/accounts'), uuid_nil();
SELECT pg_catalog.to_char(1, '999');
