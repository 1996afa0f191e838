#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each.
# Usage: scripts/fuzz.sh [budget]   (default 50000x: executions per target;
# a duration such as 5s works too)
#
# A count, not a duration: with a duration, Go before 1.27 can fail a
# target with a bare "context deadline exceeded" and no failing input
# when -fuzztime ends while a worker is mid-run (golang/go#75804; seen in
# CI on go1.26). A count has no deadline to race.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-50000x}
grep -rl --include='*_test.go' --exclude-dir='.?*' '^func Fuzz' . | sort | while read -r f; do
  pkg=./$(dirname "${f#./}")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "== fuzz $pkg $target ($time)"
    # A short minimisation: with the default (60 s), a worker still
    # minimising a new input when -fuzztime ends made the run fail with
    # "context deadline exceeded" and no input (seen in CI).
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" -fuzzminimizetime 200x "$pkg"
  done
done
