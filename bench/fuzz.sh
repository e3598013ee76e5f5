#!/usr/bin/env bash
# A long fuzzing run (FUZZING.md): every Jazzer target, or those matching
# PATTERN, for SECONDS each (one JVM per target, one after another).
#   bench/fuzz.sh [SECONDS] [PATTERN]     defaults: 600 s, *FuzzTest
#   bench/fuzz.sh 3600 SgemmFuzzTest
# Findings: java/{core,train}/target/fuzz/crash-*; the corpus grown so far,
# reused by the next run until `mvnw clean`: java/*/target/fuzz/.cifuzz-corpus/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-600}
pattern=${2:-*FuzzTest}
exec ./mvnw -B -pl java/core,java/train test-compile surefire:test@fuzz \
  -Ds4j.fuzz.seconds="$seconds" -Ds4j.fuzz.test="$pattern"
