#!/usr/bin/env bash
# The text-classification yardsticks of issue 16 on Debian's package index
# (bench/text/debian_corpus.py): fastText (softmax loss and its default
# hierarchical softmax), liblinear and scikit-learn, same data, same split,
# each in every configuration it has (threads, glibc or jemalloc). Prints one
# line per peer and configuration: whole-command wall time, peak RSS, test
# accuracy, model size; and each peer's fastest.
#   bench/text/peers.sh [TASK] [DIR]     TASK: section (default) or facet
# Needs: apt-get install fasttext liblinear-tools python3-sklearn
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
task=${1:-section}
dir=${2:-$root/bench/target/text}
py=/usr/bin/python3
for tool in fasttext liblinear-train; do
  command -v "$tool" >/dev/null || { echo "peers.sh: $tool missing (apt-get install fasttext liblinear-tools)" >&2; exit 2; }
done
[ -f "$dir/$task.train.tsv" ] || "$py" "$root/bench/text/debian_corpus.py" "$dir" >&2
[ -f "$dir/$task.train.svm" ] || "$py" "$root/bench/text/sklearn_text.py" "$dir" "$task" svmlight

# runs a command under /usr/bin/time; prints "WALL s, PEAK MiB"
timed() {
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > "$dir/out.txt" 2> "$dir/err.txt" \
    || { cat "$dir/err.txt" >&2; return 1; }
  awk '{printf "%s s, %.0f MiB", $1, $2 / 1024}' "$dir/time.txt"
}
ft_acc() { # fastText's "P@1" on the test set
  fasttext test "$dir/ft.bin" "$dir/$task.test.ft" | awk '/^P@1/{print $2}'
}
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
allocs=(glibc); [ -f "$jemalloc" ] && allocs+=(jemalloc)
# every peer in each configuration it has: threads where it has them (fastText;
# liblinear-train is single-threaded; scikit-learn's SGD uses n_jobs=2), and
# glibc or jemalloc (LD_PRELOAD); the fastest of each peer is marked "best"
preload() { # the env(1) arguments of an allocator
  if [ "$1" = jemalloc ]; then echo "LD_PRELOAD=$jemalloc"; else echo "LD_PRELOAD="; fi
}
best_of() { # marks the line with the lowest wall time in stdin
  awk -F'; ' '{print; t=$2; sub(/ s.*/, "", t); if (min == "" || t + 0 < min) {min = t + 0; b = $0}}
              END {print "  best: " b}'
}
echo "task $task: $(wc -l < "$dir/$task.train.tsv") train, $(wc -l < "$dir/$task.test.tsv") test rows"
# softmax4j: the whole `train` command (JVM start, reading, featurizing, 10 epochs,
# the test set after each, saving the model), its text preset; built once first
"$root/softmax4j" --version > /dev/null
for threads in 1 2; do
  t=$(timed env S4J_NUM_THREADS="$threads" "$root/softmax4j" train --data "$dir/$task.train.tsv" --text-column 1 \
        --test "$dir/$task.test.tsv" --out "$dir/s4j" --overwrite -q)
  acc=$(awk '/^test accuracy/{print $3}' "$dir/out.txt")
  loop=$(awk '/^training loop/{gsub(/\(/, "", $5); print $3 " s loop, " $5 " samples/s"}' "$dir/out.txt")
  echo "softmax4j train, text preset (bigrams 2^20, 10 epochs), $threads threads; $t; accuracy $acc, model $(du -m "$dir/s4j/model.s4j" | cut -f1) MiB, $loop"
done | best_of
for loss in softmax hs; do
  for threads in 1 2; do
    for alloc in "${allocs[@]}"; do
      t=$(timed env "$(preload "$alloc")" fasttext supervised -input "$dir/$task.train.ft" -output "$dir/ft" \
            -loss "$loss" -wordNgrams 2 -thread "$threads" -epoch 5 -verbose 0)
      echo "fastText loss $loss, bigrams, 5 epochs, $threads threads, $alloc; $t; accuracy $(ft_acc), model $(du -m "$dir/ft.bin" | cut -f1) MiB"
    done
  done | best_of
done
for alloc in "${allocs[@]}"; do
  t=$(timed env "$(preload "$alloc")" liblinear-train -s 0 -q "$dir/$task.train.svm" "$dir/liblinear.model")
  liblinear-predict "$dir/$task.test.svm" "$dir/liblinear.model" "$dir/pred.txt" > "$dir/acc.txt"
  echo "liblinear -s 0 (L2 logistic regression), hashed bigrams 2^20, 1 thread, $alloc; $t; accuracy $(awk '{print $3}' "$dir/acc.txt"), model $(du -m "$dir/liblinear.model" | cut -f1) MiB"
done | best_of
for mode in sgd logreg; do
  for alloc in "${allocs[@]}"; do
    t=$(timed env "$(preload "$alloc")" "$py" "$root/bench/text/sklearn_text.py" "$dir" "$task" "$mode")
    echo "scikit-learn $mode, hashed bigrams 2^20, $alloc; $t; $(cat "$dir/out.txt")"
  done | best_of
done
