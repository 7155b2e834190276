#!/usr/bin/env bash
# A long genuine run for the validator's benchmarks: `npm run soak -- [--minutes M] [--replicas N]
# [--loglevel debug|notice] [--fault-every S] [--out DIR] [--version V]`. Continuous writes, a fault
# every S seconds (capture/soak-program.ts), then the run settles and every replica is checked in
# sync, as a chaos run is. The logs are generated, never committed (default DIR: .soak/<level>-<M>m).
set -euo pipefail
cd "$(dirname "$0")/.."
out="" ; version="" ; args=() ; minutes=30 ; level=debug
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --minutes) minutes="$2"; args+=("$1" "$2"); shift 2 ;;
    --loglevel) level="$2"; args+=("$1" "$2"); shift 2 ;;
    *) args+=("$1"); [ $# -gt 1 ] && { args+=("$2"); shift; }; shift ;;
  esac
done
out="${out:-.soak/${level}-${minutes}m}"
mkdir -p "$out"
node dist/capture/soak-program.js "${args[@]}" > "$out/soak-program.json"
bin_args=()
if [ -n "$version" ] && [ -x ".valkey/$version/bin/valkey-server" ]; then bin_args=(--valkey-server ".valkey/$version/bin/valkey-server"); fi
echo "soak: ${minutes} min at ${level} -> $out" >&2
exec node --max-old-space-size=8192 dist/cli/main.js capture --chaos --program "$out/soak-program.json" --out "$out/run" "${bin_args[@]}"
