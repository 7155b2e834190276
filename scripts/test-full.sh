#!/usr/bin/env bash
# The whole test suite, live Valkey captures included: installs valkey-server 8.0.1 from
# Debian 12's bookworm-backports first when it is missing and this is root on Debian 12
# (.ci/install-valkey.sh adds only that suite). Elsewhere the live tests skip themselves and
# say so; point VALKEY_SERVER at another valkey-server binary to use it instead.
#
# Then Valkey 9.1.2's own dual-channel replication tests (scripts/valkey-suite.sh: Debian's
# 9.1.2 binaries and the upstream test suite fetched by .ci/fetch-valkey.sh, tcl from this
# system's Debian sources when missing) and every replication group of that run judged against
# the model (scripts/test-valkey-suites.sh). REPLCHECK_SUITES="8.1.1 9.1.2" runs more versions,
# REPLCHECK_SUITES=none none. Then the fixed chaos seeds on 8.0.1, 8.1.1 and 9.1.2
# (scripts/test-chaos.sh; REPLCHECK_CHAOS_VERSIONS=none skips them). Chromium (Debian's) is
# installed the same way for the browser test of the HTML reports (.ci/install-chromium.sh). The
# exit status is non-zero when the tests, the harness run or the judgement fail; each is run and
# reported regardless of the others.
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
# Chromium for the browser test of the HTML reports: installed (Debian 12, root) and then required, so
# the test cannot skip itself in CI; elsewhere it runs when a chromium is found and skips otherwise.
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ]; then
  export REPLCHECK_REQUIRE_CHROMIUM=1
elif [ "$(id -u)" = 0 ] && grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release; then
  # required even if the install fails: the test then says chromium is missing instead of skipping
  export REPLCHECK_REQUIRE_CHROMIUM=1
  bash .ci/install-chromium.sh || echo "test-full: chromium could not be installed"
else
  echo "test-full: chromium not installed and cannot install it here: the HTML reports' browser test will be skipped"
fi
status=0
npm test || status=1
if [ -d test-artifacts/html-reports ]; then echo "test-full: screenshots of the HTML reports are in test-artifacts/html-reports/ (CI artefacts)"; fi
SUITES="${REPLCHECK_SUITES:-9.1.2}"
if [ "$SUITES" != none ]; then
  # shellcheck disable=SC2086 # a list of versions
  bash scripts/test-valkey-suites.sh $SUITES || status=1
fi
if [ "${REPLCHECK_CHAOS_VERSIONS:-}" != none ]; then
  bash scripts/test-chaos.sh || status=1
fi
exit $status
