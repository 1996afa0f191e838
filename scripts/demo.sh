#!/usr/bin/env bash
# The example migrations through plan for both phases (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/safemigrate
dir=migrations_example
run() { echo; echo "\$ safemigrate $*"; "$bin" --dir "$dir" "$@" || echo "(exit $?)"; }
run graph
run plan --phase pre-deploy --offline
run plan --phase pre-deploy --offline --mode nonstrict
run plan --phase post-deploy --offline
