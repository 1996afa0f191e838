-- safe: always
WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone; -- want "dml-without-where"
WITH touched AS (UPDATE users SET flag = true RETURNING id) SELECT count(*) FROM touched; -- want "dml-without-where"
