#!/usr/bin/env bash
# The whole test suite, live Valkey captures included: installs valkey-server 8.0.1 from
# Debian 12's bookworm-backports first when it is missing and this is root on Debian 12
# (.ci/install-valkey.sh adds only that suite). Elsewhere the live tests skip themselves and
# say so; point VALKEY_SERVER at another valkey-server binary to use it instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${VALKEY_SERVER:-}" ]; then
  echo "test-full: using VALKEY_SERVER=$VALKEY_SERVER ($("$VALKEY_SERVER" --version 2>&1 || echo 'not runnable'))"
elif valkey-server --version 2>/dev/null | grep -q 'v=8.0.1 '; then
  echo "test-full: $(valkey-server --version)"
elif [ "$(id -u)" = 0 ] && grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release; then
  bash .ci/install-valkey.sh
else
  echo "test-full: valkey-server 8.0.1 not installed and cannot install it here (needs root on Debian 12): live capture tests will be skipped"
fi
npm test
