#!/usr/bin/env bash
# Executor benchmark: safemigrate vs goose v3 vs one psql session.
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
go run ./bench/exec -n "${N:-500}" -rounds "${ROUNDS:-3}" -goose .bench/bin/goose -bin bin/safemigrate
