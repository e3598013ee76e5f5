#!/usr/bin/env bash
# Runs THERE, on the GPU machine (NVIDIA driver, CUDA toolkit, CMake, PyTorch
# as python3; no Java, no Maven, no network), from the repository root, with
# bench/gpu/kit/ made HERE, on the build machine, by bench/gpu/prepare.sh:
#
#   OUT=DIR bash bench/gpu/check.sh [STEP...]      (OUT defaults to ./gpu-out)
#
# Steps, in this order (default: all); a failed step does not stop the rest:
#   a native  the C CUDA tests (test_cuda, test_cuda_gemm, test_cuda_linear_ce,
#             test_cuda_sparse)
#             built with the repo's CMake, run, then run (shapes shrunk:
#             S4J_TEST_SMALL=1) under compute-sanitizer memcheck and racecheck
#             (any reported error fails the step; racecheck's
#             warnings are shown, not failed; S4J_SANITIZER_LIMIT seconds
#             per run, default 180)
#   b junit   the Java tests that reach the GPU, with the kit's runtime and
#             JUnit's console launcher
#   c bench   org.softmax4j.bench.GpuBench, writing $OUT/gpu-bench.md
#   d torch   bench/gpu/torch_gpu.py, PyTorch as the second yardstick
#   e train   softmax4j train --device cuda on the kit's Fashion-MNIST
# Writes $OUT/summary.md (step, result, key figures; rewritten after every
# step, so that a run cut short still leaves one) and $OUT/logs/*.log. The
# scratch (CMake build, unpacked runtime, JavaCPP's cache) goes to
# $S4J_GPU_WORK (default /tmp/softmax4j-gpu), not $OUT: only results come
# back. Every command has a time limit, and the whole run stops starting
# commands at $S4J_DEADLINE seconds (default 570, under the 600 s that one
# device call may run); run steps separately (check.sh a, then b c d e) when
# they need longer. Exit status 0 when every step run passed, else 1.
set -uo pipefail

[ $# -gt 0 ] || set -- a b c d e
steps=()
for s in "$@"; do
  case $s in
    a|native) steps+=(native) ;;
    b|junit) steps+=(junit) ;;
    c|bench) steps+=(bench) ;;
    d|torch) steps+=(torch) ;;
    e|train) steps+=(train) ;;
    *) echo "check.sh: unknown step $s (a|native b|junit c|bench d|torch e|train)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kit=$root/bench/gpu/kit
OUT=${OUT:-./gpu-out}
mkdir -p "$OUT/logs" || { echo "check.sh: cannot create $OUT" >&2; exit 1; }
OUT=$(cd "$OUT" && pwd)
work=${S4J_GPU_WORK:-/tmp/softmax4j-gpu}
deadline=$((SECONDS + ${S4J_DEADLINE:-570}))
python=${S4J_PYTHON:-python3}
cd "$root" || exit 1

if [ ! -f "$kit/jre.tar.xz" ] || [ ! -f "$kit/softmax4j-cli-0.1.0.jar" ]; then
  echo "check.sh: no kit in $kit: run bench/gpu/prepare.sh on the build machine first," >&2
  echo "          and carry bench/gpu/kit to this one" >&2
  exit 1
fi
mkdir -p "$work" || { echo "check.sh: cannot create $work" >&2; exit 1; }

# ---- what is here
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi -L 2>&1 | tee "$OUT/logs/nvidia-smi.log"
  nvidia-smi >>"$OUT/logs/nvidia-smi.log" 2>&1
else
  echo "nvidia-smi not found: no NVIDIA driver here" | tee "$OUT/logs/nvidia-smi.log"
fi
gpus=$(grep -c '^GPU [0-9]' "$OUT/logs/nvidia-smi.log")
gpu_names=$(sed -n 's/^GPU [0-9]*: \(.*\) (UUID.*/\1/p' "$OUT/logs/nvidia-smi.log" | paste -sd, -)

# ---- helpers
rows=()        # summary table rows
bench_table="" # GpuBench's table, shown below the summary
failed=0

# run LIMIT LOG CMD...: CMD with its output appended to LOG, killed after
# LIMIT seconds or at the deadline; status 124 when it ran out of time.
run() {
  local limit=$1 log=$2 left=$((deadline - SECONDS - 5))
  shift 2
  [ "$left" -lt "$limit" ] && limit=$left
  echo "\$ $*" >>"$log"
  if [ "$limit" -lt 10 ]; then
    echo "check.sh: not started: out of time (S4J_DEADLINE=${S4J_DEADLINE:-570} s)" >>"$log"
    return 124
  fi
  timeout -k 10 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && { echo "check.sh: timed out after $limit s" >>"$log"; rc=124; }
  return "$rc"
}

# The last line of a log that looks like an error, for the summary.
why() {
  grep -E -i 'error|exception|fail|not (available|found|installed)|no .*(gpu|device|driver)|timed out|out of time' "$1" \
    | grep -v -E '^\$ |SUMMARY: 0 |[^0-9]0 errors' | tail -1 | cut -c1-160 | tr '|' '/'
}

# record STEP RESULT FIGURES: one row of the summary, on stdout and in summary.md.
record() {
  local result=$2
  [ "$result" = FAIL ] && [ "$gpus" = 0 ] && result="FAIL (no GPU here)"
  rows+=("| $1 | $result | $3 |")
  [ "$2" = pass ] || [ "${2#skipped}" != "$2" ] || failed=1
  echo "== $1: $result — $3"
  {
    echo "# softmax4j GPU check"
    echo
    echo "$(date -u '+%F %T') UTC on ${gpu_names:-no GPU}; kit $(sed -n 2p "$kit/KIT.txt" 2>/dev/null)"
    echo
    echo "| step | result | key figures |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
    if [ -n "$bench_table" ]; then
      echo
      echo "## GpuBench ($OUT/gpu-bench.md)"
      echo
      echo "$bench_table"
    fi
    echo
    echo "Logs: logs/*.log."
  } >"$OUT/summary.md"
}

# The kit's Java runtime, unpacked once per kit into the scratch folder.
java=()
unpack_java() {
  local stamp jre=$work/jre
  stamp=$(cksum <"$kit/jre.tar.xz")
  if [ "$(cat "$jre/.kit-stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$jre"
    if command -v xz >/dev/null 2>&1; then
      tar -C "$work" -xJf "$kit/jre.tar.xz" || return 1
    else
      "$python" - "$kit/jre.tar.xz" "$work" <<'EOF' || return 1
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    t.extractall(sys.argv[2], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
EOF
    fi
    echo "$stamp" >"$jre/.kit-stamp"
  fi
  java=("$jre/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
        "-Dorg.bytedeco.javacpp.cachedir=$work/javacpp-cache")
  "${java[0]}" -version >"$OUT/logs/java.log" 2>&1
}

have_java() { # $1: step name; records a failure when the runtime cannot start
  [ "${#java[@]}" -gt 0 ] && return 0
  if unpack_java; then return 0; fi
  java=()
  record "$1" FAIL "the kit's Java runtime does not start: $(tail -1 "$OUT/logs/java.log" 2>/dev/null | tr '|' '/')"
  return 1
}

# ---- a: the C CUDA tests, plain and under compute-sanitizer
step_native() {
  local log=$OUT/logs/a-native.log build=$work/build gen=() t tlog rc figures="" reason="" result=pass skipped=0
  : >"$log"
  command -v ninja >/dev/null 2>&1 && [ ! -f "$build/CMakeCache.txt" ] && gen=(-G Ninja)
  if ! run 300 "$log" cmake -S native -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DS4J_CUDA=ON \
     || ! run 400 "$log" cmake --build "$build" --parallel --target test_cuda test_cuda_gemm test_cuda_linear_ce \
                                   test_cuda_sparse; then
    record "a native" FAIL "CMake configure/build failed: $(why "$log")"
    return
  fi
  for t in test_cuda test_cuda_gemm test_cuda_linear_ce test_cuda_sparse; do
    tlog=$OUT/logs/a-$t.log
    : >"$tlog"
    run 180 "$tlog" "$build/test/$t"
    rc=$?
    case $rc in
      0) figures+="$t ok; " ;;
      77) figures+="$t skipped; "; skipped=1
          reason=$(grep -v '^\$ ' "$tlog" | tail -1 | cut -c1-120 | tr '|' '/') ;;
      124) figures+="$t timed out; "; result=FAIL ;;
      *) figures+="$t exit $rc; "; result=FAIL ;;
    esac
  done
  if [ "$skipped" = 1 ] && [ "$result" = pass ]; then
    record "a native" "skipped (no GPU)" "built; ${figures}sanitizers not run: $reason"
    return
  fi
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer \
              /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
  if [ -z "$sanitizer" ]; then
    record "a native" FAIL "${figures}compute-sanitizer not found"
    return
  fi
  local tool slog summary
  for tool in memcheck racecheck; do
    for t in test_cuda test_cuda_gemm test_cuda_linear_ce test_cuda_sparse; do
      slog=$OUT/logs/a-$tool-$t.log
      : >"$slog"
      run "${S4J_SANITIZER_LIMIT:-180}" "$slog" env S4J_TEST_SMALL=1 \
        "$sanitizer" --tool "$tool" --error-exitcode 86 "$build/test/$t"
      rc=$?
      summary=$(grep -E -o '(ERROR|RACECHECK) SUMMARY: .*' "$slog" | tail -1)
      if [ "$rc" = 0 ] && ! grep -q -E 'ERROR SUMMARY: [1-9]|\([1-9][0-9]* errors' "$slog"; then
        figures+="$tool $t: ${summary:-ok}; "
      else
        figures+="$tool $t: FAILED (exit $rc; ${summary:-see $(basename "$slog")}); "
        result=FAIL
      fi
    done
  done
  record "a native" "$result" "${figures%; }"
}

# ---- b: the Java GPU tests
tests_count() { # from the console launcher's closing box: "[  12 tests found  ]"
  sed -n "s/^\[ *\([0-9]*\) tests $1 *\]$/\1/p" "$2" | tail -1
}
step_junit() {
  local log=$OUT/logs/b-junit.log cp rc found ok fail aborted skipped figures result
  : >"$log"
  have_java "b junit" || return
  cp=$kit/test-classes
  for f in "$kit"/lib/*.jar; do cp+=:$f; done
  # the kit leaves OpenBLAS's natives out: GemmTest skips its OpenBLAS cases when told so
  run 300 "$log" "${java[@]}" -Dsoftmax4j.test.skipOpenblas=true \
    -jar "$kit/junit-platform-console-standalone.jar" execute \
    --disable-banner --disable-ansi-colors --details=tree --reports-dir="$OUT/junit-reports" \
    --class-path "$cp" \
    --select-class org.softmax4j.CudaTest --select-class org.softmax4j.SoftmaxCrossEntropyTest \
    --select-class org.softmax4j.GemmTest --select-class org.softmax4j.BadInputTest \
    --select-class org.softmax4j.SparseTest --select-class org.softmax4j.train.TrainerTest
  rc=$?
  found=$(tests_count found "$log") ok=$(tests_count successful "$log") fail=$(tests_count failed "$log")
  aborted=$(tests_count aborted "$log") skipped=$(tests_count skipped "$log")
  if [ -z "$found" ]; then
    record "b junit" FAIL "no JUnit summary (exit $rc): $(why "$log")"
    return
  fi
  figures="found $found, succeeded $ok, failed $fail, skipped $skipped, aborted $aborted"
  if [ "$rc" = 0 ] && [ "$fail" = 0 ]; then
    result=pass
    [ "$gpus" = 0 ] && result="skipped (no GPU)" && figures+=" (CUDA cases abort: no GPU)"
  else
    result=FAIL
    # from the launcher's "Failures (N):" list: "  JUnit Jupiter:Class:method(Types):[i] name"
    figures+="; failing: $(sed -n '/^Failures (/,/^Test run finished/p' "$log" \
      | sed -n 's/^  JUnit Jupiter:\([^(]*\)([^)]*)/\1/p' | head -4 | paste -sd, - | sed 's/,/, /g'
      )$([ "${fail:-0}" -gt 4 ] && echo ", …"); first: $(sed -n 's/^ *=> //p' "$log" | head -1 | cut -c1-120)"
    figures=${figures//|//}
  fi
  record "b junit" "$result" "$figures"
}

# ---- c: GpuBench against its ceilings
step_bench() {
  local log=$OUT/logs/c-bench.log rc
  : >"$log"
  have_java "c bench" || return
  rm -f "$OUT/gpu-bench.md"
  run 300 "$log" "${java[@]}" \
    -cp "$kit/bench-classes:$kit/lib/*:$kit/bench-lib/*" \
    org.softmax4j.bench.GpuBench "$OUT"
  rc=$?
  if [ "$rc" = 0 ] && [ -s "$OUT/gpu-bench.md" ]; then
    # its first table, shown whole below the summary
    bench_table=$(awk '/^\|/ {t = 1; print; next} t {exit}' "$OUT/gpu-bench.md")
    record "c bench" pass "$(echo "$bench_table" | tail -n +3 | wc -l) rows: see below"
  else
    record "c bench" FAIL "exit $rc: $(why "$log")"
  fi
}

# ---- d: PyTorch on the same GPU
step_torch() {
  local log=$OUT/logs/d-torch.log rc figures
  : >"$log"
  run 300 "$log" sh -c '"$1" bench/gpu/torch_gpu.py >"$2"' sh "$python" "$OUT/torch-gpu.jsonl"
  rc=$?
  if [ "$rc" != 0 ]; then
    record "d torch" FAIL "exit $rc: $(why "$log")"
    return
  fi
  figures=$("$python" - "$OUT/torch-gpu.jsonl" <<'EOF'
import json, sys
parts = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["bench"] == "version":
        parts.append(f"torch {r['torch']} CUDA {r['cuda']}")
    elif r["bench"] == "copy":
        parts.append(f"copy {r['gbs']:.0f} GB/s")
    elif r["bench"] == "ce":
        parts.append(f"CE {r['dtype']} {r['shape']} {r['gbs']:.0f} GB/s")
    elif r["bench"] == "matmul":
        parts.append(f"matmul {r['dtype']} {r['tflops']:.0f} TFLOP/s")
    elif r["bench"] == "linear_ce":
        parts.append(f"linear+CE {r['dtype']} {r['shape']} {r['median_ms']:.1f} ms, +{r['extra_mib']:.0f} MiB")
print("; ".join(parts))
EOF
)
  record "d torch" pass "${figures:-no figures in torch-gpu.jsonl}"
}

# ---- e: training on the GPU
step_train() {
  local log=$OUT/logs/e-train.log rc acc loop
  : >"$log"
  have_java "e train" || return
  run 300 "$log" "${java[@]}" -jar "$kit/softmax4j-cli-0.1.0.jar" train --device cuda \
    --data "$kit/data" --out "$OUT/train"
  rc=$?
  acc=$(grep -m1 '^test accuracy:' "$log")
  loop=$(grep -m1 '^training loop:' "$log")
  if [ "$rc" = 0 ] && [ -n "$acc" ]; then
    record "e train" pass "$acc; $loop"
  else
    record "e train" FAIL "exit $rc: $(why "$log")"
  fi
}

# ---- the steps asked for, in order
for s in "${steps[@]}"; do "step_$s"; done
echo "summary: $OUT/summary.md"
exit "$failed"
