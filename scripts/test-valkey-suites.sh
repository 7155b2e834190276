#!/usr/bin/env bash
# Run Valkey's own dual-channel replication tests for each VERSION (default: 8.1.1 and 9.1.2), one
# after the other (scripts/valkey-suite.sh), then judge every replication group of every run against
# the model (test/suite/real-suite.test.ts with REPLCHECK_SUITE_DIRS).
#
#   scripts/test-valkey-suites.sh [VERSION...]
#
# Exit status: 0 when every harness ran to its end and every group conforms; 1 otherwise (the
# harness that did not finish, or the groups that do not conform, are named above).
set -uo pipefail
cd "$(dirname "$0")/.."
BASE="${REPLCHECK_VALKEY_DIR:-$PWD/.valkey}"
[ $# -gt 0 ] || set -- 8.1.1 9.1.2
dirs=()
failed=0
for v in "$@"; do
  if bash scripts/valkey-suite.sh "$v" "$BASE/runs/$v"; then :; else
    rc=$?
    echo "test-valkey-suites: Valkey $v's harness did not run to its end (exit $rc)"
    failed=1
    [ "$rc" = 2 ] && continue
  fi
  dirs+=("$BASE/runs/$v")
done
if [ ${#dirs[@]} -gt 0 ]; then
  echo "test-valkey-suites: judging ${dirs[*]}"
  if ! REPLCHECK_SUITE_DIRS="$(IFS=:; echo "${dirs[*]}")" npx vitest run test/suite/real-suite.test.ts; then
    failed=1
  fi
  for d in "${dirs[@]}"; do [ -f "$d/replcheck.txt" ] && echo "test-valkey-suites: report in $d/replcheck.txt (and replcheck.json)"; done
fi
exit $failed
