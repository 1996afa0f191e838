-- safe: before_deploy
CREATE TABLE currencies (code text PRIMARY KEY);
COPY currencies (code) FROM stdin; -- want "copy-stdin"
EUR
USD
\.
