#!/usr/bin/env bash
# Checks that the release build is reproducible: builds every artifact (jars, sources, Javadoc, the BOM) twice
# from scratch and fails if any file differs by one byte. `project.build.outputTimestamp` in the parent POM fixes
# every archive entry's time; anything else that leaks into an artifact (a build path, a date, an order) shows here.
#
# With --after-release-build, the first build is the one already in target/: a `-Prelease` build of a fresh clone
# (CI's test run, `./test.sh -Prelease`), so only the second is made here.
set -euo pipefail
cd "$(dirname "$0")/.."

artifacts() {
  # Every artifact a release would publish: each module's jars and POM-only modules' POMs (the BOM).
  find . -path ./node_modules -prune -o -path '*/target/*' \( -name '*.jar' -o -name '*.pom' \) -print \
    -o -path '*/target/*' -prune | sort | xargs sha256sum
}

build() {
  ./mvnw -B -ntp -q -Prelease clean package -DskipTests -Dmaven.javadoc.failOnWarnings=true >/dev/null
  artifacts
}

first=$(mktemp); second=$(mktemp)
trap 'rm -f "$first" "$second"' EXIT
if [ "${1:-}" = "--after-release-build" ]; then
  artifacts > "$first"
else
  build > "$first"
fi
build > "$second"
count=$(wc -l < "$first")
if [ "$count" -eq 0 ]; then
  echo "reproducible.sh: the build produced no artifacts" >&2
  exit 1
fi
if ! diff -u "$first" "$second"; then
  echo "reproducible.sh: two builds of one commit differ (lines above: sha256 first vs second)" >&2
  exit 1
fi
echo "reproducible.sh: $count artifacts byte-identical across two builds"
