#!/usr/bin/env bash
# Lint benchmark: safemigrate against squawk on a generated corpus, side by
# side in one run. Prints files per second for each, the ratio, and checks
# statement by statement that safemigrate reports every unsafe statement
# squawk reports (leaving out squawk's timeout-setting noise and type-style
# preferences; see bench/lint/compare).
#
#   bench/lint/run.sh            # or: make bench-lint
#   N=500 RUNS=3 bench/lint/run.sh
#
# squawk (npm package squawk-cli, current version) is installed into
# .bench/lint/squawk, which is ignored by git. Exit status 1 when an unsafe
# statement squawk reports is missed.
set -euo pipefail

cd "$(dirname "$0")/../.."
N=${N:-2000}
RUNS=${RUNS:-7}
PG=${PG:-15}
WORK=.bench/lint
mkdir -p "$WORK"

echo "== building safemigrate"
go build -o "$WORK/safemigrate" ./cmd/safemigrate

echo "== generating the corpus"
go run ./bench/lint/gen -n "$N" -out "$WORK/corpus"
stmts=$(cat "$WORK"/corpus/*.sql | grep -c ';$' || true)

echo "== installing squawk-cli (current version) into $WORK/squawk"
npm install --prefix "$WORK/squawk" --no-audit --no-fund --loglevel=error squawk-cli@latest >/dev/null
# The npm package runs a native binary through a node wrapper; time the
# binary itself so that node's start-up is not counted against squawk.
squawk=$(ls "$WORK"/squawk/node_modules/@squawk-cli/*/bin/squawk 2>/dev/null | head -n1 || true)
if [ -z "$squawk" ]; then
	squawk="$WORK/squawk/node_modules/.bin/squawk"
fi
squawk_version=$("$squawk" --version)

ours=("$WORK/safemigrate" lint "$WORK/corpus" --format json --pg-version "$PG")
theirs=("$squawk" --reporter json --pg-version "$PG" "$WORK"/corpus/*.sql)

# One warm-up run each (page cache, binaries), then RUNS interleaved runs,
# so that load from elsewhere on the machine hits both alike.
"${ours[@]}" >"$WORK/ours.json" || true
"${theirs[@]}" >"$WORK/squawk.json" || true
: >"$WORK/times.ours"
: >"$WORK/times.squawk"
TIMEFORMAT='%R %U %S'
for _ in $(seq "$RUNS"); do
	{ time "${ours[@]}" >/dev/null || true; } 2>>"$WORK/times.ours"
	{ time "${theirs[@]}" >/dev/null || true; } 2>>"$WORK/times.squawk"
done

# median (or, with $3 = best, the minimum) of column $2 (1 = wall,
# 2 = user, 3 = sys, 4 = user + sys)
median() {
	awk -v c="$2" '{ v = (c == 4) ? $2 + $3 : $c; print v }' "$1" | sort -g |
		awk -v best="${3:-}" '{ a[NR] = $1 } END { print (best != "" ? a[1] : a[int((NR + 1) / 2)]) }'
}
ours_wall=$(median "$WORK/times.ours" 1)
ours_best=$(median "$WORK/times.ours" 1 best)
ours_cpu=$(median "$WORK/times.ours" 4)
sq_wall=$(median "$WORK/times.squawk" 1)
sq_best=$(median "$WORK/times.squawk" 1 best)
sq_cpu=$(median "$WORK/times.squawk" 4)

echo
echo "== lint speed: $N files, about $stmts statements, median of $RUNS interleaved runs on $(nproc) cores (load now: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo ?))"
awk -v n="$N" -v ow="$ours_wall" -v ob="$ours_best" -v oc="$ours_cpu" -v sw="$sq_wall" -v sb="$sq_best" -v sc="$sq_cpu" -v sv="$squawk_version" 'BEGIN {
	of = n / ow; sf = n / sw
	printf "  %-16s %6.3f s wall  %7.0f files/s   (best run %7.0f files/s, CPU %.3f s)\n", "safemigrate", ow, of, n / ob, oc
	printf "  %-16s %6.3f s wall  %7.0f files/s   (best run %7.0f files/s, CPU %.3f s)\n", sv, sw, sf, n / sb, sc
	printf "  ratio            %.2fx files/s (target >= 2.00x: %s); best runs %.2fx; CPU time %.2fx\n", of / sf, (of / sf >= 2.0 ? "met" : "NOT met"), sb / ob, sc / oc
}'

echo
echo "== what each reports"
go run ./bench/lint/compare -corpus "$WORK/corpus" -ours "$WORK/ours.json" -squawk "$WORK/squawk.json"
