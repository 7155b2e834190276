#!/usr/bin/env bash
# Fetch a Valkey version that Debian serves in a newer suite than this machine's (8.1.1 from
# trixie, 9.1.2 from forky; 8.0.1 from bookworm-backports alike), without touching the system: a private apt configuration (its own
# sources list, lists and cache), `apt-get download` of the server and its libraries, `dpkg -x`
# into a folder, and a wrapper that runs the server through that folder's dynamic loader. With
# --source it also downloads the upstream source tarball (its SHA256 checked against the signed
# Sources index) and unpacks Valkey's own tests/ and runtest.
#
#   .ci/fetch-valkey.sh VERSION [--source]     VERSION: 8.0.1 | 8.1.1 | 9.1.2
#
# Result (idempotent: a complete folder is reused):
#   $REPLCHECK_VALKEY_DIR/<VERSION>/bin/valkey-server   wrapper (--version prints the version)
#   $REPLCHECK_VALKEY_DIR/<VERSION>/bin/valkey-cli      wrapper
#   $REPLCHECK_VALKEY_DIR/<VERSION>/src/                Valkey's source tree with tests/ (--source)
# REPLCHECK_VALKEY_DIR defaults to .valkey/ in the repository (ignored by git).
# Needs apt-get and dpkg-deb (any Debian); root is not needed. Every network step is bounded.
set -euo pipefail

VERSION="${1:-}"
WANT_SOURCE=0
[ "${2:-}" = "--source" ] && WANT_SOURCE=1
# LIBSUITE: where the libraries come from (bookworm-backports has Valkey but not bookworm's libc)
case "$VERSION" in
  8.0.1) SUITE=bookworm-backports; LIBSUITE=bookworm ;;
  8.1.1) SUITE=trixie; LIBSUITE=trixie ;;
  9.1.2) SUITE=forky; LIBSUITE=forky ;;
  *) echo "fetch-valkey: usage: $0 8.0.1|8.1.1|9.1.2 [--source]" >&2; exit 2 ;;
esac

ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
BASE="${REPLCHECK_VALKEY_DIR:-$ROOT_DIR/.valkey}"
DEST="$BASE/$VERSION"
APTDIR="$BASE/apt-$SUITE"
mkdir -p "$DEST" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/etc/none.d"

say() { echo "fetch-valkey $VERSION: $*"; }

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || { echo "fetch-valkey: $KEYRING missing (package debian-archive-keyring)" >&2; exit 1; }
MIRROR="${REPLCHECK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cat > "$APTDIR/etc/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb-src [signed-by=$KEYRING] $MIRROR $SUITE main
EOF
[ "$LIBSUITE" = "$SUITE" ] || echo "deb [signed-by=$KEYRING] $MIRROR $LIBSUITE main" >> "$APTDIR/etc/sources.list"
# The system's own sources, preferences and status are not read: nothing here can change what
# the system installs. The status file is an empty one of our own so apt resolves nothing against
# the installed system.
: > "$APTDIR/etc/status"
APT_OPTS=(
  -o "Dir::Etc::sourcelist=$APTDIR/etc/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::Etc::preferences=$APTDIR/etc/none" -o "Dir::Etc::preferencesparts=$APTDIR/etc/none.d"
  -o "Dir::State::lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache" -o "Dir::State::status=$APTDIR/etc/status"
  -o "APT::Sandbox::User=root" -o "Acquire::Retries=3" -o "Acquire::http::Timeout=60"
  -o "Debug::NoLocking=1"
)

run_update() {
  if [ ! -f "$APTDIR/updated" ] || [ -n "$(find "$APTDIR/updated" -mmin +720 2>/dev/null)" ]; then
    say "apt-get update ($SUITE, private lists in $APTDIR)"
    timeout 600 apt-get "${APT_OPTS[@]}" update -qq
    touch "$APTDIR/updated"
  fi
}

# ---- binaries ------------------------------------------------------------------------------------
# The server and every shared library it loads, all from the same suite (the newer glibc included).
SERVER_PKGS=(valkey-server valkey-tools)
LIB_PKGS=(libc6 libatomic1 libjemalloc2 liblzf1 libssl3t64 libsystemd0
      libstdc++6 libgcc-s1 zlib1g libzstd1 libcap2 liblz4-1 liblzma5 libgcrypt20 libgpg-error0)
[ "$LIBSUITE" = bookworm ] && LIB_PKGS=("${LIB_PKGS[@]/libssl3t64/libssl3}")

wrapper() { # name
  local loader=usr/lib64/ld-linux-x86-64.so.2
  [ -e "$DEST/root/$loader" ] || loader=lib64/ld-linux-x86-64.so.2 # bookworm's libc6 predates merged /usr
  cat > "$DEST/bin/$1" <<EOF
#!/bin/sh
# Runs Debian $SUITE's $1 $VERSION through its own dynamic loader and libraries (fetch-valkey.sh).
R="\$(dirname "\$(readlink -f "\$0")")/../root"
exec "\$R/$loader" --library-path "\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu" "\$R/usr/bin/$1" "\$@"
EOF
  chmod +x "$DEST/bin/$1"
}

if [ -x "$DEST/bin/valkey-server" ] && "$DEST/bin/valkey-server" --version 2>/dev/null | grep -q "v=$VERSION "; then
  say "binaries present: $("$DEST/bin/valkey-server" --version)"
else
  run_update
  rm -rf "$DEST/debs" "$DEST/root" "$DEST/bin"
  mkdir -p "$DEST/debs" "$DEST/root" "$DEST/bin"
  say "downloading ${SERVER_PKGS[*]} ($SUITE) ${LIB_PKGS[*]} ($LIBSUITE)"
  (cd "$DEST/debs" && timeout 600 apt-get "${APT_OPTS[@]}" download -qq $(printf '%s/'"$SUITE"' ' "${SERVER_PKGS[@]}") $(printf '%s/'"$LIBSUITE"' ' "${LIB_PKGS[@]}"))
  for deb in "$DEST/debs"/*.deb; do dpkg-deb -x "$deb" "$DEST/root"; done
  ver=$(dpkg-deb -f "$DEST"/debs/valkey-tools_*.deb Version)
  case "$ver" in "$VERSION"*) ;; *) echo "fetch-valkey: $SUITE serves valkey $ver, not $VERSION" >&2; exit 1 ;; esac
  wrapper valkey-server
  wrapper valkey-cli
  wrapper valkey-benchmark
  # every library must resolve inside the folder: a system library would mix two glibcs
  R="$DEST/root"
  LOADER="$R/usr/lib64/ld-linux-x86-64.so.2"; [ -e "$LOADER" ] || LOADER="$R/lib64/ld-linux-x86-64.so.2"
  if "$LOADER" --list --library-path "$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu" "$R/usr/bin/valkey-check-rdb" | grep -v -e "$R" -e linux-vdso | grep '=>'; then
    echo "fetch-valkey: the libraries above resolve outside $R" >&2; exit 1
  fi
  "$DEST/bin/valkey-server" --version | grep -q "v=$VERSION " || { echo "fetch-valkey: $DEST/bin/valkey-server --version does not print v=$VERSION" >&2; exit 1; }
  rm -rf "$DEST/debs"
  say "installed $("$DEST/bin/valkey-server" --version)"
fi

# ---- source tree with Valkey's own tests --------------------------------------------------------
if [ "$WANT_SOURCE" = 1 ]; then
  if [ -x "$DEST/src/runtest" ] && [ -d "$DEST/src/tests/integration" ]; then
    say "source tree present in $DEST/src"
  else
    run_update
    rm -rf "$DEST/srcpkg" "$DEST/src"
    mkdir -p "$DEST/srcpkg"
    # Only the upstream (orig) tarball is needed: it holds src/, tests/ and runtest. Its name and
    # SHA256 come from the Sources index that apt-get update verified against the suite's signature.
    read -r DIRECTORY ORIGNAME ORIGSUM < <(apt-cache "${APT_OPTS[@]}" showsrc valkey | awk -v want="$VERSION" '
      function flush() { if (index(ver, want) == 1 && dir != "" && name != "" && !done) { print dir, name, sum; done = 1 } }
      /^Package:/ {flush(); ver=""; dir=""; name=""; sum=""; sums=0}
      /^Version:/ {ver=$2}
      /^Directory:/ {dir=$2}
      /^Checksums-Sha256:/ {sums=1; next}
      /^[^ ]/ {sums=0}
      sums && $3 ~ /\.orig\.tar\./ {name=$3; sum=$1}
      END {flush()}')
    [ -n "${ORIGNAME:-}" ] || { echo "fetch-valkey: $SUITE has no valkey source $VERSION" >&2; exit 1; }
    say "downloading $ORIGNAME"
    curl -fsS --retry 3 --max-time 600 -o "$DEST/srcpkg/$ORIGNAME" "$MIRROR/$DIRECTORY/$ORIGNAME" ||
      { echo "fetch-valkey: $MIRROR/$DIRECTORY/$ORIGNAME could not be downloaded (the mirror does not serve it)" >&2; exit 1; }
    echo "$ORIGSUM  $DEST/srcpkg/$ORIGNAME" | sha256sum -c --quiet - || { echo "fetch-valkey: $ORIGNAME: SHA256 differs from the signed Sources index" >&2; exit 1; }
    ORIG="$DEST/srcpkg/$ORIGNAME"
    mkdir -p "$DEST/src"
    tar -xf "$ORIG" -C "$DEST/src" --strip-components=1
    [ -x "$DEST/src/runtest" ] && [ -d "$DEST/src/tests/integration" ] || { echo "fetch-valkey: $ORIG has no runtest / tests/integration" >&2; exit 1; }
    # Valkey's harness starts src/valkey-server and src/valkey-cli: point them at this version's binaries
    for b in valkey-server valkey-cli valkey-benchmark; do ln -sf "../../bin/$b" "$DEST/src/src/$b"; done
    rm -rf "$DEST/srcpkg"
    say "source tree in $DEST/src ($(basename "$ORIG"))"
  fi
fi
echo "$DEST/bin/valkey-server"
