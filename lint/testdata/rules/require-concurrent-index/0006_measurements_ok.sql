-- safe: before_deploy
CREATE TABLE measurements (id bigint, taken_on date NOT NULL, value int) PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
