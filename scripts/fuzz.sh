#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each.
# Usage: scripts/fuzz.sh [duration]   (default 5s)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-5s}
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
