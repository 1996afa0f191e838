-- safe: before_deploy
-- safemigrate:ignore require-concurrent-index -- want "unused-ignore"
CREATE TABLE a (id int);
-- safemigrate:ignore no-such-rule -- want "unused-ignore"
CREATE TABLE b (id int);
