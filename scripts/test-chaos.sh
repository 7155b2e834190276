#!/usr/bin/env bash
# The CI's chaos seeds: the same fixed seeds (programs of at most two replicas) on each Valkey
# version, each run captured on real servers and judged (replcheck chaos). 8.0.1 is the installed
# valkey-server (or .valkey/8.0.1); 8.1.1 and 9.1.2 are Debian's binaries, fetched into .valkey/
# by .ci/fetch-valkey.sh when missing. Fails when a genuine run does not conform.
#   REPLCHECK_CHAOS_SEEDS (default 1..10), REPLCHECK_CHAOS_VERSIONS (default "8.0.1 8.1.1 9.1.2")
set -uo pipefail
cd "$(dirname "$0")/.."
SEEDS="${REPLCHECK_CHAOS_SEEDS:-1,2,3,4,5,6,7,8,9,10}"
VERSIONS="${REPLCHECK_CHAOS_VERSIONS:-8.0.1 8.1.1 9.1.2}"
status=0
for v in $VERSIONS; do
  if [ "$v" != 8.0.1 ] && [ ! -x ".valkey/$v/bin/valkey-server" ]; then
    bash .ci/fetch-valkey.sh "$v" || { echo "test-chaos: cannot fetch Valkey $v"; status=1; continue; }
  fi
  echo "test-chaos: Valkey $v, seeds $SEEDS"
  timeout 1200 node --max-old-space-size=8192 dist/cli/main.js chaos --seeds "$SEEDS" --max-replicas 2 --version "$v" --jobs 2 --out ".valkey/chaos/$v" || status=1
done
exit $status
