#!/usr/bin/env bash
# Install valkey-server 8.0.1 from Debian bookworm-backports (Debian 12 only).
# Idempotent; run as root. Adds ONLY the bookworm-backports suite (never trixie
# or anything newer), reusing the mirror of the existing bookworm entry, and
# pins libjemalloc2/liblzf1 to bookworm.
set -euo pipefail

WANT="8.0.1"
have_version() {
  command -v valkey-server >/dev/null 2>&1 &&
    valkey-server --version 2>/dev/null | grep -q "v=${WANT} "
}

if have_version; then
  echo "install-valkey: $(valkey-server --version) already installed"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-valkey: must run as root" >&2
  exit 1
fi

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "bookworm" ]; then
  echo "install-valkey: expected Debian 12 (bookworm), found ${VERSION_CODENAME:-unknown}" >&2
  exit 1
fi

# Find the mirror used by the existing bookworm entry (deb822 .sources or one-line .list).
MIRROR=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  MIRROR=$(awk '
    /^[[:space:]]*$/ { if (uris != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) { print uris; exit } uris=""; suites=""; next }
    /^URIs:/   { sub(/^URIs:[[:space:]]*/, ""); split($0, a, /[[:space:]]+/); uris=a[1] }
    /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites=$0 }
    END { if (uris != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) print uris }
  ' "$f" | head -n1)
  [ -n "$MIRROR" ] && break
done
if [ -z "$MIRROR" ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    MIRROR=$(awk '$1 == "deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == "bookworm") { print $i; exit } }' "$f")
    [ -n "$MIRROR" ] && break
  done
fi
if [ -z "$MIRROR" ]; then
  echo "install-valkey: no bookworm entry found in apt sources" >&2
  exit 1
fi
echo "install-valkey: using mirror $MIRROR"

LIST=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ ; then
  cat > "$LIST" <<SRC
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  echo "install-valkey: wrote $LIST"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends -t bookworm-backports \
  valkey-server libjemalloc2/bookworm liblzf1/bookworm

if ! have_version; then
  echo "install-valkey: valkey-server ${WANT} not found after install: $(valkey-server --version 2>&1 || true)" >&2
  exit 1
fi
echo "install-valkey: $(valkey-server --version)"

# The package may try to start a service (denied here by policy-rc.d). Report any
# valkey-server process; stop it only via the service manager if one is running.
if pids=$(pgrep -x valkey-server); then
  echo "install-valkey: WARNING: valkey-server process(es) running after install: $pids" >&2
  ps -o pid,ppid,args -p $(echo $pids | tr ' ' ',') >&2 || true
  if command -v systemctl >/dev/null 2>&1 && [ "$(systemctl is-system-running 2>/dev/null || true)" != "offline" ]; then
    systemctl stop valkey-server.service 2>/dev/null || true
    systemctl disable valkey-server.service 2>/dev/null || true
  elif command -v service >/dev/null 2>&1; then
    service valkey-server stop 2>/dev/null || true
  fi
  pgrep -x valkey-server >/dev/null && echo "install-valkey: still running; not killed (not started by this script)" >&2
else
  echo "install-valkey: no valkey-server process running"
fi
exit 0
