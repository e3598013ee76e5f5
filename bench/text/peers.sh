#!/usr/bin/env bash
# The text-classification yardsticks of issue 16 on Debian's package index
# (bench/text/debian_corpus.py): fastText (softmax loss and its default
# hierarchical softmax), liblinear and scikit-learn, same data, same split,
# 2 threads where the peer has threads. Prints one line per peer: test
# accuracy, whole-command wall time, peak RSS, model size.
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

# runs a command under /usr/bin/time; prints "wall_s peak_MiB"
timed() {
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > "$dir/out.txt" 2> "$dir/err.txt" \
    || { cat "$dir/err.txt" >&2; return 1; }
  awk '{printf "%s s, %.0f MiB", $1, $2 / 1024}' "$dir/time.txt"
}
ft_acc() { # fastText's "P@1" on the test set
  fasttext test "$dir/ft.bin" "$dir/$task.test.ft" | awk '/^P@1/{print $2}'
}
n_test=$(wc -l < "$dir/$task.test.tsv")
echo "task $task: $(wc -l < "$dir/$task.train.tsv") train, $n_test test rows"
for loss in softmax hs; do
  t=$(timed fasttext supervised -input "$dir/$task.train.ft" -output "$dir/ft" -loss "$loss" \
        -wordNgrams 2 -thread 2 -epoch 5 -verbose 0)
  echo "fastText (loss $loss, bigrams, 5 epochs): accuracy $(ft_acc), $t, model $(du -m "$dir/ft.bin" | cut -f1) MiB"
done
t=$(timed liblinear-train -s 0 -q "$dir/$task.train.svm" "$dir/liblinear.model")
liblinear-predict "$dir/$task.test.svm" "$dir/liblinear.model" "$dir/pred.txt" > "$dir/acc.txt"
echo "liblinear (-s 0, L2 logistic regression, hashed bigrams 2^20): $(awk '{print $3}' "$dir/acc.txt"), $t, model $(du -m "$dir/liblinear.model" | cut -f1) MiB"
for mode in sgd logreg; do
  t=$(timed "$py" "$root/bench/text/sklearn_text.py" "$dir" "$task" "$mode")
  echo "scikit-learn $mode (hashed bigrams 2^20): $(cat "$dir/out.txt"), $t"
done
