#!/usr/bin/env bash
# Runs every test of Elector on a fresh machine that has only a JDK (17+):
# installs what the tests start (Debian's etcd-server) when it is missing, then runs `./mvnw verify`.
# Prints a closing "Tests: N passed, N failed, N skipped" line summed over every module's reports.
set -euo pipefail
cd "$(dirname "$0")"

need_etcd() { ! command -v "${ELECTOR_ETCD_BIN:-etcd}" >/dev/null 2>&1; }
if need_etcd; then
  echo "test.sh: etcd not found; installing Debian's etcd-server" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server >/dev/null
  # The package may start a system etcd on 2379; the tests use their own ports and data dirs, so stop it.
  $SUDO systemctl stop etcd >/dev/null 2>&1 || true
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "test.sh: setpriv not found; installing util-linux" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq util-linux >/dev/null
fi

status=0
./mvnw -B -ntp verify "$@" || status=$?

# Sum the JUnit XML reports of every module (no python or xml tools needed on a fresh machine).
shopt -s nullglob
reports=(*/target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml)
if [ ${#reports[@]} -gt 0 ]; then
  grep -h -o '<testsuite [^>]*>' "${reports[@]}" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/[">]/, "", kv[2]); a[kv[1]] += kv[2] } }
    END { printf "Tests: %d passed, %d failed, %d skipped\n", a["tests"] - a["failures"] - a["errors"] - a["skipped"], a["failures"] + a["errors"], a["skipped"] }'
else
  echo "Tests: 0 passed, 0 failed"
fi
exit $status
