#!/usr/bin/env bash
# Runs `safemigrate lint` for CI: findings as GitHub workflow annotations
# (--format github) on stdout, optionally a SARIF file for code scanning.
# Used by action.yml; works in any CI (GitLab, a shell) too.
#
# Environment (all optional):
#   SAFEMIGRATE       the binary (default: safemigrate on PATH)
#   DIR               migrations directory (default: config or "migrations")
#   CONFIG            configuration file
#   CHANGED_SINCE     git ref: lint only migration files changed since it
#   FAIL_ON_WARNINGS  "true": warnings fail the job too
#   SARIF             path to write a SARIF report to
#   FORMAT            output format (default github)
# Exit status: safemigrate lint's (0 clean, 1 findings that fail, 2 usage or
# load errors).
set -uo pipefail

bin=${SAFEMIGRATE:-safemigrate}
args=()
[[ -n "${DIR:-}" ]] && args+=(--dir "$DIR")
[[ -n "${CONFIG:-}" ]] && args+=(--config "$CONFIG")
lintargs=()
[[ "${FAIL_ON_WARNINGS:-false}" == true ]] && lintargs+=(--warnings-as-errors)

if [[ -n "${CHANGED_SINCE:-}" ]]; then
  if "$bin" lint --help 2>/dev/null | grep -q -- '--changed-since'; then
    lintargs+=(--changed-since "$CHANGED_SINCE")
  else
    # An older binary: pass the changed files themselves.
    dir=${DIR:-migrations}
    mapfile -t changed < <(git diff --name-only --diff-filter=ACMR "$CHANGED_SINCE" -- "$dir" | grep -E '\.sql$')
    if ((${#changed[@]} == 0)); then
      echo "safemigrate: no migration changed since $CHANGED_SINCE in $dir"
      exit 0
    fi
    lintargs+=("${changed[@]}")
  fi
fi

if [[ -n "${SARIF:-}" ]]; then
  "$bin" "${args[@]}" --format sarif lint "${lintargs[@]}" >"$SARIF"
  rc=$?
  if ((rc > 1)); then
    echo "safemigrate lint --format sarif failed (exit $rc); see above" >&2
  fi
fi
"$bin" "${args[@]}" --format "${FORMAT:-github}" lint "${lintargs[@]}"
