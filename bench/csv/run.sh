#!/usr/bin/env bash
# CSV loading speed, side by side in one run: softmax4j's parallel byte parser,
# the same reader through FastCSV, FastCSV alone, and pandas.read_csv (C engine;
# Debian's python3-pandas) on Fashion-MNIST's training set as CSV (~130 MB).
#   bench/csv/run.sh [DIR] [RUNS]     (default DIR: /tmp/softmax4j-csv, RUNS: 5)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../../java/bin/find-jdk.sh
. java/bin/find-jdk.sh
s4j_find_jdk
dir=${1:-/tmp/softmax4j-csv} runs=${2:-5}
[ -d bench/target/classes ] || ./mvnw -q -B -DskipTests package >&2
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "bench/target/classes:bench/target/lib/*" \
  org.softmax4j.bench.CsvLoad "$dir" "$runs"
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  /usr/bin/python3 - "$dir/train.csv" "$runs" <<'PY'
import sys, time, os, statistics
import pandas as pd
path, runs = sys.argv[1], int(sys.argv[2])
mb = os.path.getsize(path) / 1e6
for engine in ("c", "pyarrow"):
    times = []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            df = pd.read_csv(path, engine=engine, dtype="float32" if engine == "c" else None)
            times.append(time.perf_counter() - t0)
            assert df.shape == (60000, 785), df.shape
    except Exception as e:  # pyarrow is optional
        print(f"pandas.read_csv(engine={engine!r}): not available ({type(e).__name__})")
        continue
    med = statistics.median(times)
    print(f"{'pandas ' + pd.__version__ + ' read_csv, engine ' + engine:40s} median {med:.3f} s  {mb / med:6.1f} MB/s  (runs: {[round(t, 3) for t in times]})")
PY
else
  echo "pandas: not installed (apt-get install python3-pandas)"
fi
