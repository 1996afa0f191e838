-- safe: before_deploy
CREATE TABLE countries (code text PRIMARY KEY, name text);
COPY countries FROM STDIN; -- want "copy-stdin"
