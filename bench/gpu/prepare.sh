#!/usr/bin/env bash
# Runs HERE, on the build machine (JDK 25, Maven, network to Maven Central; no
# GPU needed). Builds softmax4j and packs bench/gpu/kit/ (git-ignored): all
# that bench/gpu/check.sh needs on the GPU machine, which has the driver, the
# CUDA toolkit, CMake and PyTorch but no Java, no Maven and no network.
#
#   bench/gpu/prepare.sh [--no-build]
#
# --no-build packs what target/ already holds (e.g. while someone else's
# change breaks the build); the script says how old those artifacts are.
#
# The kit (carried whole: run's carry ["bench/gpu/kit"], 64 MiB at most):
#   jre.tar.xz        jlinked JDK 25 runtime, stripped libjvm.so; its modules
#                     image is left uncompressed (--compress zip-0) because xz
#                     over the whole tree packs it to ~13 MiB where zip-9 per
#                     resource leaves ~42 MiB; check.sh unpacks it (~62 MB)
#                     outside the kit
#   softmax4j-cli-0.1.0.jar, lib/   the command line (executable jar) and
#                     its runtime dependencies: the kernels' jar
#                     softmax4j-0.1.0.jar (natives inside, CUDA included),
#                     softmax4j-train, picocli, JavaCPP; less OpenBLAS (20 MB of
#                     natives the GPU run does not use: check.sh tells
#                     GemmTest to skip its openblas/* cases)
#   test-classes/, junit-platform-console-standalone.jar
#                     the Java tests of java/core and java/train (merged), run without Maven (the console jar
#                     bundles JUnit Jupiter, the tests' only test dependency)
#   bench-classes/, bench-lib/  GpuBench and JavaCPP's CUDA preset (cuBLAS as
#                     the yardstick; not the redist jar: CUDA 13.0 is there)
#   data/             Fashion-MNIST's four .gz files, for the training run
#   KIT.txt           what was packed, from which commit, and the sizes
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit=$root/bench/gpu/kit
jdk=${S4J_KIT_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
data=${SOFTMAX4J_DATA:-/usr/share/datasets/fashion-mnist}
modules=java.base,jdk.unsupported,java.logging,java.xml,jdk.zipfs
limit_mib=60 # a device run carries 64 MiB in all: the kit, and room for the working tree (~1 MB)

die() { echo "prepare.sh: $*" >&2; exit 1; }
mib() { du -sb "$@" | awk '{s += $1} END {printf "%.1f MiB", s / 1048576}'; }

build=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $arg (see --help)" ;;
  esac
done

cd "$root" || die "no repository at $root"
[ -x "$jdk/bin/jlink" ] || die "no jlink in $jdk (set S4J_KIT_JDK to a JDK 25)"
grep -q '^JAVA_VERSION="25' "$jdk/release" || die "$jdk is not a JDK 25 (the bench classes target 25)"

# ---- build
if [ "$build" = 1 ]; then
  echo "building: ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true package"
  log=$(mktemp /tmp/s4j-prepare-build.XXXXXX)
  if ! ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true package >"$log" 2>&1; then
    grep -v '^\s*at \|^WARNING: ' "$log" | tail -30 >&2
    die "the build failed (full log: $log); fix it, or pack the artifacts already in target/ with --no-build"
  fi
  rm -f "$log"
fi

jar=java/cli/target/softmax4j-cli-0.1.0.jar
kernels=java/cli/target/lib/softmax4j-0.1.0.jar
for f in "$jar" "$kernels" java/core/target/test-classes/org/softmax4j/CudaTest.class \
         java/train/target/test-classes/org/softmax4j/train/TrainerTest.class \
         bench/target/classes/org/softmax4j/bench; do
  [ -e "$f" ] || die "$f is missing: build first (./mvnw -DskipTests package)"
done
[ -e bench/target/classes/org/softmax4j/bench/GpuBench.class ] \
  || echo "warning: bench/target/classes has no GpuBench: check.sh's benchmark step will fail" >&2
unzip -l "$kernels" org/softmax4j/linux-x86_64/libsoftmax4j_cuda.so >/dev/null 2>&1 \
  || die "$kernels holds no libsoftmax4j_cuda.so"
if [ "$build" = 0 ]; then
  echo "packing the artifacts already built (--no-build), newest file of each:"
  for f in "$jar" "$kernels" java/core/target/test-classes java/train/target/test-classes bench/target/classes; do
    echo "  $(find "$f" -type f -printf '%TY-%Tm-%Td %TH:%TM\n' | sort | tail -1)  $f"
  done
fi

# versions from the poms: JUnit Platform 1.x goes with Jupiter 5.x, 6.x with 6.x
junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)
[ -n "$junit" ] || die "no junit.version in pom.xml"
case $junit in 5.*) platform=1.${junit#5.} ;; *) platform=$junit ;; esac
cuda=$(sed -n 's:.*<cuda-preset.version>\(.*\)</cuda-preset.version>.*:\1:p' pom.xml bench/pom.xml | head -1)
cuda=${cuda:-13.1-9.19-1.5.13}

# ---- the kit, assembled beside the old one and swapped in at the end
stage=$(mktemp -d /tmp/s4j-gpu-kit.XXXXXX) || die "cannot create a staging folder"
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM HUP PIPE
mkdir -p "$stage"/{lib,bench-lib,data}

fetch() { # group:artifact:version[:type:classifier] into a folder, through ~/.m2
  if ! ./mvnw -q -B -N dependency:copy -Dartifact="$1" -DoutputDirectory="$2" >"$stage/fetch.log" 2>&1; then
    grep '^\[ERROR\]' "$stage/fetch.log" | head -5 >&2
    die "cannot fetch $1 (./mvnw -N dependency:copy -Dartifact=$1)"
  fi
  rm -f "$stage/fetch.log"
}

echo "runtime: jlink $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress zip-0 --output "$stage/jre" || die "jlink failed"
strip --strip-unneeded "$stage/jre/lib/server/libjvm.so" || die "strip libjvm.so failed"

echo "jars: softmax4j, its runtime dependencies (no OpenBLAS), tests, JUnit $platform, bench, CUDA preset $cuda"
cp "$jar" "$stage/" || die "cannot copy $jar"
for f in java/cli/target/lib/*.jar; do
  case ${f##*/} in openblas-*) ;; *) cp "$f" "$stage/lib/" ;; esac
done
mkdir -p "$stage/test-classes"
cp -r java/core/target/test-classes/. java/train/target/test-classes/. "$stage/test-classes/"
cp -r bench/target/classes "$stage/bench-classes"
rm -rf "$stage/bench-classes/org/softmax4j/bench/jmh_generated" # JMH's, not used there
fetch "org.junit.platform:junit-platform-console-standalone:$platform:jar" "$stage"
mv "$stage/junit-platform-console-standalone-$platform.jar" "$stage/junit-platform-console-standalone.jar"
fetch "org.bytedeco:cuda:$cuda:jar" "$stage/bench-lib"
fetch "org.bytedeco:cuda:$cuda:jar:linux-x86_64" "$stage/bench-lib"

echo "data: Fashion-MNIST from $data"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "$data/$f.gz" "$stage/data/" || die "no $data/$f.gz (set SOFTMAX4J_DATA)"
done

# ---- smoke test with the runtime as it will run there (CudaTest loads both
# bindings and the CUDA library; without a GPU its CUDA cases abort), then pack it
java=("$stage/jre/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
      "-Dorg.bytedeco.javacpp.cachedir=$stage/javacpp-cache")
"${java[@]}" -jar "$stage/softmax4j-cli-0.1.0.jar" --help >/dev/null \
  || die "the jlinked runtime cannot run softmax4j --help"
cp=$stage/test-classes
for f in "$stage"/lib/*.jar; do cp+=:$f; done
if ! "${java[@]}" -jar "$stage/junit-platform-console-standalone.jar" execute --disable-banner \
     --disable-ansi-colors --fail-if-no-tests --class-path "$cp" \
     --select-class org.softmax4j.CudaTest >"$stage/smoke.log" 2>&1; then
  tail -30 "$stage/smoke.log" >&2
  die "CudaTest fails with the jlinked runtime and JUnit's console launcher"
fi
rm -rf "$stage/smoke.log" "$stage/javacpp-cache"
tar -C "$stage" -cf - jre | xz -6 -T0 >"$stage/jre.tar.xz" || die "cannot pack the runtime"
jre_unpacked=$(mib "$stage/jre")
rm -rf "$stage/jre"

{
  echo "softmax4j GPU kit, packed by bench/gpu/prepare.sh on $(date -u '+%F %T') UTC"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git status --porcelain -- java native cmake bench 2>/dev/null)" ] || echo ' + uncommitted changes')"
  echo "runtime: $("$jdk/bin/java" -version 2>&1 | sed -n 2p), modules $modules ($jre_unpacked unpacked)"
  echo "JUnit Platform $platform; CUDA preset $cuda; built: $([ "$build" = 1 ] && echo now || echo earlier, --no-build)"
  echo
  (cd "$stage" && du -sb jre.tar.xz *.jar lib test-classes bench-classes bench-lib data \
     | awk '{printf "%6.1f MiB  %s\n", $1 / 1048576, $2}')
} >"$stage/KIT.txt"

total=$(du -sb "$stage" | cut -f1)
[ "$total" -le $((limit_mib * 1048576)) ] || die "the kit is $(mib "$stage"), over ${limit_mib} MiB"
rm -rf "$kit"
mv "$stage" "$kit" || die "cannot move the kit into place"
trap - EXIT
chmod 755 "$kit"

sed -n '5,$p' "$kit/KIT.txt"
echo "bench/gpu/kit: $(mib "$kit") (limit ${limit_mib} MiB; a run carries 64 MiB at most)"
echo "next, on the GPU machine: bash bench/gpu/check.sh   (carry: bench/gpu/kit)"
