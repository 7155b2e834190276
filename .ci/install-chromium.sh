#!/usr/bin/env bash
# Install Debian 12's own chromium (the browser test of the HTML reports, test/cli/html-report.test.ts).
# Idempotent; root on Debian 12 only. Uses the system's configured sources (bookworm, bookworm-security):
# nothing is added and nothing upgraded.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then echo "install-chromium: must run as root" >&2; exit 1; fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "bookworm" ]; then echo "install-chromium: expected Debian 12 (bookworm), found ${VERSION_CODENAME:-unknown}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
# an apt cache that has never been filled (a fresh machine) knows no chromium
if ! apt-cache show chromium >/dev/null 2>&1; then apt-get update; fi
apt-get install -y --no-install-recommends chromium
echo "install-chromium: $(chromium --version)"
