-- safe: always
COPY (SELECT id FROM users) TO STDOUT WITH (FORMAT csv); -- want "copy-stdin"
