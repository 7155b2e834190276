#!/usr/bin/env bash
# Run Valkey's own dual-channel replication tests against a Debian build of that Valkey version and
# keep every server's log for `replcheck validate DIR`.
#
#   scripts/valkey-suite.sh VERSION [OUTDIR]        VERSION: 8.1.1 | 9.1.2 (whatever .ci/fetch-valkey.sh serves)
#
# 1. tclsh (and curl, which the source download needs): when missing, on a root Debian machine
#    `apt-get install --no-install-recommends tcl` from the system's own Debian sources (no suite is
#    added to them); elsewhere an error.
# 2. .ci/fetch-valkey.sh VERSION --source (idempotent): the binaries and Valkey's source tree with its
#    Tcl test suite, fetched now (Valkey's test code is never committed here).
# 3. From an empty tests/tmp: ./runtest --single TEST --clients 1 --dont-clean, bounded by a timeout.
#    After a timeout, valkey-server processes the run left behind are stopped by PID (only those
#    running this version's binary with their working directory in that tests/tmp).
# 4. OUTDIR (default .valkey/runs/VERSION): a copy of tests/tmp (server.*/stdout, valkey.conf.*),
#    runtest.out (the harness's output), results.tsv (every test: ok / err / exception / skip /
#    ignore / timeout) and suite-run.txt (what ran, how long, how it ended).
#
# A failing Valkey test is recorded in results.tsv, not hidden; the exit status says whether the
# harness ran to its end: 0 it did (whatever the tests said), 1 it did not (timeout, exception,
# crash), 2 bad usage or nothing could be run.
#
# Environment: REPLCHECK_SUITE_TEST (default integration/dual-channel-replication),
# REPLCHECK_SUITE_TIMEOUT (seconds, default 1200), REPLCHECK_SUITE_ARGS (more runtest arguments),
# REPLCHECK_VALKEY_DIR (as for .ci/fetch-valkey.sh).
set -euo pipefail

VERSION="${1:-}"
[ -n "$VERSION" ] || { echo "usage: $0 VERSION [OUTDIR]   (VERSION: 8.1.1 | 9.1.2)" >&2; exit 2; }
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${REPLCHECK_VALKEY_DIR:-$ROOT_DIR/.valkey}"
OUT="${2:-$BASE/runs/$VERSION}"
TEST="${REPLCHECK_SUITE_TEST:-integration/dual-channel-replication}"
TIMEOUT="${REPLCHECK_SUITE_TIMEOUT:-1200}"
say() { echo "valkey-suite $VERSION: $*"; }

# ---- 1. tools: tclsh for the harness (and curl for .ci/fetch-valkey.sh's source download) ----------
apt_ready=0
need() { # COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$1" = tclsh ] && ls /usr/bin/tclsh8.* >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 from this system's Debian sources"
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_ready" = 0 ]; then timeout 600 apt-get update -qq; apt_ready=1; fi
    timeout 600 apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  else
    echo "valkey-suite: $1 is missing: install $2 (Debian: apt-get install $2)" >&2
    exit 2
  fi
}
need tclsh tcl
[ -x "$BASE/$VERSION/src/runtest" ] || need curl curl

# ---- 2. binaries and source tree ---------------------------------------------------------------
bash "$ROOT_DIR/.ci/fetch-valkey.sh" "$VERSION" --source >/dev/null || { echo "valkey-suite: .ci/fetch-valkey.sh $VERSION --source failed" >&2; exit 2; }
DEST="$(cd "$BASE/$VERSION" && pwd -P)"
SRC="$DEST/src"
[ -x "$SRC/runtest" ] && [ -f "$SRC/tests/$TEST.tcl" ] || { echo "valkey-suite: $SRC has no runtest or tests/$TEST.tcl" >&2; exit 2; }

# ---- output folder: ours to replace, nothing else --------------------------------------------------
if [ -e "$OUT" ]; then
  [ -d "$OUT" ] || { echo "valkey-suite: $OUT exists and is not a folder" >&2; exit 2; }
  if [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/suite-run.txt" ]; then
    echo "valkey-suite: $OUT is not empty and holds no earlier suite run (suite-run.txt): not touching it" >&2
    exit 2
  fi
fi

# ---- 3. the run ---------------------------------------------------------------------------------
TMP="$SRC/tests/tmp"
mkdir -p "$TMP"
find "$TMP" -mindepth 1 -maxdepth 1 ! -name .gitignore -exec rm -rf {} +
RUNLOG="$(mktemp "${TMPDIR:-/tmp}/valkey-suite-$VERSION.XXXXXX")"
trap 'rm -f "$RUNLOG"' EXIT
say "./runtest --single $TEST --clients 1 --dont-clean (timeout ${TIMEOUT}s) in $SRC"
START=$(date +%s)
set +e
# timeout signals its whole process group: the harness, its test client and the servers they started
(cd "$SRC" && exec timeout --kill-after=30 "$TIMEOUT" ./runtest --single "$TEST" --clients 1 --dont-clean ${REPLCHECK_SUITE_ARGS:-}) >"$RUNLOG" 2>&1 </dev/null
STATUS=$?
set -e
END=$(date +%s)

# leftovers: valkey processes of this version whose working directory is in this tests/tmp
stopped=()
for p in /proc/[0-9]*; do
  pid="${p#/proc/}"
  cwd="$(readlink "$p/cwd" 2>/dev/null)" || continue
  case "$cwd" in "$TMP"/*) ;; *) continue ;; esac
  cmd="$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" || continue
  case "$cmd" in *"$DEST/"*valkey*|*valkey*"$DEST/"*) ;; *) continue ;; esac
  kill "$pid" 2>/dev/null && stopped+=("$pid")
done
if [ ${#stopped[@]} -gt 0 ]; then
  sleep 2
  for pid in "${stopped[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  say "stopped ${#stopped[@]} server process(es) the run left behind: ${stopped[*]}"
fi

# ---- 4. results and the copy ----------------------------------------------------------------------
CLEAN="$(sed -E 's/\x1b\[[0-9;]*m//g' "$RUNLOG")"
ENDED=no
if printf '%s\n' "$CLEAN" | grep -qE 'All tests passed without errors!|The following tests failed:'; then ENDED=yes; fi
if [ "$STATUS" = 124 ] || [ "$STATUS" = 137 ]; then ENDED=no; fi
mkdir -p "$OUT"
find "$OUT" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
cp -a "$TMP/." "$OUT/"
rm -f "$OUT/.gitignore"
printf '%s\n' "$CLEAN" > "$OUT/runtest.out"
{
  printf 'status\tduration_ms\ttest\n'
  printf '%s\n' "$CLEAN" | awk '
    /^\[ok\]: / { s = substr($0, 7); ms = ""; if (match(s, / \([0-9]+ ms\)$/)) { ms = substr(s, RSTART + 2, RLENGTH - 6); s = substr(s, 1, RSTART - 1) } printf "ok\t%s\t%s\n", ms, s; next }
    /^\[err\]: / { s = substr($0, 8); sub(/ in tests\/[^ ]*\.tcl$/, "", s); printf "err\t\t%s\n", s; next }
    /^\[exception\]: / { printf "exception\t\t%s\n", substr($0, 14); next }
    /^\[skip\]: / { printf "skip\t\t%s\n", substr($0, 9); next }
    /^\[ignore\]: / { printf "ignore\t\t%s\n", substr($0, 11); next }
    /^\[TIMEOUT\]: / { printf "timeout\t\t%s\n", substr($0, 12); next }'
  if [ "$STATUS" = 124 ] || [ "$STATUS" = 137 ]; then printf 'timeout\t\t(the harness was stopped after %ss)\n' "$TIMEOUT"; fi
} > "$OUT/results.tsv"
{
  echo "version=$VERSION"
  echo "test=$TEST"
  echo "source=$SRC"
  echo "server=$("$DEST/bin/valkey-server" --version 2>/dev/null || echo '?')"
  echo "started=$(date -u -d "@$START" +%Y-%m-%dT%H:%M:%SZ)"
  echo "seconds=$((END - START))"
  echo "runtest_status=$STATUS"
  echo "ran_to_end=$ENDED"
  echo "stopped_leftovers=${#stopped[@]}"
} > "$OUT/suite-run.txt"

counts="$(awk -F'\t' 'NR > 1 { n[$1]++ } END { for (k in n) printf "%s %d  ", k, n[k] }' "$OUT/results.tsv")"
say "$((END - START)) s, runtest exit $STATUS, ran to the end: $ENDED; tests: ${counts:-none}"
awk -F'\t' 'NR > 1 && $1 != "ok" { printf "  [%s] %s\n", $1, $3 }' "$OUT/results.tsv"
say "logs and results in $OUT ($(ls -d "$OUT"/server.* 2>/dev/null | wc -l) server logs)"
[ "$ENDED" = yes ] || { say "the harness did not run to its end (see $OUT/runtest.out)"; exit 1; }
exit 0
