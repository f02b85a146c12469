#!/usr/bin/env bash
# Runs every test of Elector on a fresh machine that has only a JDK (17+):
# installs what the tests start (Debian's etcd-server, postgresql and faketime) when it is missing, then runs
# `./mvnw verify`.
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
# The PostgreSQL tests and benchmarks run Debian's PostgreSQL 15 server binaries (initdb, postgres) as 'nobody'.
PG_BIN=${ELECTOR_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/postgres" ]; then
  echo "test.sh: PostgreSQL server not found in $PG_BIN; installing Debian's postgresql" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  # The package may start a cluster on 5432; the tests start their own on free ports with temp data dirs.
  $SUDO systemctl stop postgresql >/dev/null 2>&1 || true
  $SUDO pg_ctlcluster --force 15 main stop >/dev/null 2>&1 || true
fi
# The clock-rate tests (PostgreSQL, ZooKeeper) run their servers under libfaketime, so that their clocks run fast.
if [ -z "${ELECTOR_FAKETIME_LIB:-}" ] && ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
  echo "test.sh: libfaketime not found; installing Debian's faketime" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq faketime >/dev/null
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "test.sh: setpriv not found; installing util-linux" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq util-linux >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# One module at a time: with two (-T 2) the suite took 11 min instead of 17, but the ZooKeeper ensemble's member
# isolation then shares two cores with etcd's three-member cluster tests and once missed its 34 s recovery bound.
./mvnw -B -ntp verify "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole build: the sum of Surefire's and Failsafe's per-module summaries (the lines
# without " -- in"). The XML reports cannot be summed: they leave out the TCK's @Nested classes.
grep -E '^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" \
  | awk -F'[:,] *' '{ t += $2; f += $4; e += $6; s += $8 }
      END { printf "Tests: %d passed, %d failed, %d skipped\n", t - f - e - s, f + e, s }'
exit $status
