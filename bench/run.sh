#!/usr/bin/env bash
# The benchmark report: builds softmax4j and its benchmarks, runs them (JMH)
# beside their ceilings and peers, and writes bench/results/<date>/report.md
# with SVG plots. About 26 minutes on 2 cores (a third of it the PyTorch sweep, 5 the text peers); --quick for a smoke run.
#   bench/run.sh [--quick] [--only REGEX] [--out DIR]
# PyTorch (Debian's python3-torch) is used as a peer when installed; this
# script installs nothing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../java/bin/find-jdk.sh
. "$root/java/bin/find-jdk.sh"
s4j_find_jdk
cd "$root"
echo "building (mvnw -DskipTests package)…" >&2
./mvnw -q -B -DskipTests package >&2
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dsoftmax4j.bench.lib="$root/bench/target/bench-native/libs4jbench.so" \
  -cp "bench/target/classes:bench/target/lib/*" org.softmax4j.bench.BenchMain "$@"
