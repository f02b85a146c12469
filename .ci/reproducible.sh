#!/usr/bin/env bash
# Checks that the release build is reproducible: builds every artifact (jars, sources, Javadoc, the BOM) twice
# from scratch and fails if any file differs by one byte. `project.build.outputTimestamp` in the parent POM fixes
# every archive entry's time; anything else that leaks into an artifact (a build path, a date, an order) shows here.
set -euo pipefail
cd "$(dirname "$0")/.."

build() {
  ./mvnw -B -ntp -q -Prelease clean package -DskipTests -Dmaven.javadoc.failOnWarnings=true >/dev/null
  # Every artifact a release would publish: each module's jars and POM-only modules' POMs (the BOM).
  find . -path ./node_modules -prune -o -path '*/target/*' \( -name '*.jar' -o -name '*.pom' \) -print \
    -o -path '*/target/*' -prune | sort | xargs sha256sum
}

first=$(mktemp); second=$(mktemp)
trap 'rm -f "$first" "$second"' EXIT
build > "$first"
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
