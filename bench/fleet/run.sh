#!/usr/bin/env bash
# Fleet benchmark: a tenant fleet (two passes, and --atomic unless ATOMIC=0)
# against one psql session applying the same SQL tenant by tenant, and a
# fleet of databases on two throwaway clusters. PROFILE=FILE adds a CPU
# profile of an in-process schema fleet run (the --atomic one unless ATOMIC=0);
# STATEMENTS=N prints each tool's N costliest statements (pg_stat_statements).
# COMPARE=BIN measures another safemigrate binary (an earlier version) in the
# same rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o bin/safemigrate ./cmd/safemigrate
args=(-tenants "${TENANTS:-500}" -n "${N:-10}" -jobs "${JOBS:-2}" -dbs "${DBS:-200}" -rounds "${ROUNDS:-3}" -bin bin/safemigrate)
if [ -n "${PROFILE:-}" ]; then args+=(-cpuprofile "$PROFILE"); fi
if [ "${ATOMIC:-1}" != 0 ]; then args+=(-atomic); fi
if [ -n "${STATEMENTS:-}" ]; then args+=(-statements "$STATEMENTS"); fi
if [ -n "${COMPARE:-}" ]; then args+=(-compare "$COMPARE"); fi
go run ./bench/fleet "${args[@]}"
