#!/usr/bin/env bash
# Executor benchmark: safemigrate (--no-preflight, two passes, --atomic) vs
# goose v3 vs one psql session, on synthetic migrations and on a realistic
# history of real DDL. Tunables: N, ROUNDS, REAL_N, REAL_ROUNDS.
# goose is installed into .bench/ (gitignored), never committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .bench/bin
if [ ! -x .bench/bin/goose ]; then
  echo "== installing goose v3 into .bench/bin" >&2
  GOBIN="$PWD/.bench/bin" go install \
    -tags 'no_clickhouse no_libsql no_mssql no_mysql no_sqlite3 no_vertica no_ydb no_turso no_starrocks' \
    github.com/pressly/goose/v3/cmd/goose@v3.29.0
fi
go build -o bin/safemigrate ./cmd/safemigrate
# 1. N small synthetic migrations (CREATE TABLE + INSERT): per-migration overhead.
go run ./bench/exec -n "${N:-500}" -rounds "${ROUNDS:-3}" -goose .bench/bin/goose -bin bin/safemigrate
echo
# 2. A realistic history of real DDL on tables holding data (tables, foreign
#    keys, indexes, constraints, backfills, views, functions, triggers,
#    enums; bench/exec/real.go): where the work is the statements themselves.
go run ./bench/exec -history real -n "${REAL_N:-240}" -rounds "${REAL_ROUNDS:-5}" -goose .bench/bin/goose -bin bin/safemigrate
