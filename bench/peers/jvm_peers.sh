#!/usr/bin/env bash
# Smile and Tribuo on Fashion-MNIST, each a whole JVM timed (bench/src/.../JvmPeers.java).
#   bench/peers/jvm_peers.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../../java/bin/find-jdk.sh
. java/bin/find-jdk.sh
s4j_find_jdk
[ -d bench/target/classes ] || ./mvnw -q -B -DskipTests package >&2
for which in smile tribuo; do
  /usr/bin/time -f "$which: %e s wall" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "bench/target/classes:bench/target/lib/*" org.softmax4j.bench.JvmPeers "$which"
done
