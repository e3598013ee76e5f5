#!/usr/bin/env bash
# check_format.sh — is every C/CUDA source under native/ and bench/native/ in
# the style of .clang-format? Names each file that is not, with the first
# lines clang-format would change.
#
# usage: check_format.sh [--apply]
#   --apply  rewrite the files in place instead of checking them.
# Without clang-format it skips (exit 77, ctest's SKIP_RETURN_CODE), except
# under CI=true, where a missing formatter is a failure. Run by ctest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

apply=0
case ${1:-} in
  --apply) apply=1 ;;
  "") ;;
  *) echo "check_format: unknown argument $1 (usage: check_format.sh [--apply])" >&2; exit 2 ;;
esac

if ! command -v clang-format >/dev/null; then
  if [[ ${CI:-} == true ]]; then
    echo "check_format: clang-format not found (apt-get install clang-format)" >&2; exit 1
  fi
  echo "check_format: clang-format not found; skipped (apt-get install clang-format)"; exit 77
fi

mapfile -t files < <(find native bench/native -type f \
  \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) | sort)
((${#files[@]})) || { echo "check_format: no sources found under $root" >&2; exit 2; }

if ((apply)); then
  clang-format -i --style=file "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"; exit 0
fi

bad=0
for f in "${files[@]}"; do
  if ! out=$(clang-format --style=file "$f" | diff -u "$f" - ); then
    echo "check_format: $f is not formatted:"; echo "$out" | sed -n '3,12p'
    bad=$((bad + 1))
  fi
done
if ((bad)); then
  echo "check_format: $bad of ${#files[@]} files differ; run native/test/check_format.sh --apply" >&2; exit 1
fi
echo "check_format: ${#files[@]} files formatted"
