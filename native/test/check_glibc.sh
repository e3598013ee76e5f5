#!/usr/bin/env bash
# check_glibc.sh — do the shipped natives load on glibc 2.17 (RHEL/CentOS 7,
# Amazon Linux 2)? Reads, with objdump, every symbol version each library
# asks for: the versioned dynamic symbols (objdump -T) and the version
# references the dynamic loader checks at load time (objdump -p), and fails,
# naming library and symbol@version, on anything newer than
#   GLIBC_2.17                     glibc of RHEL 7
#   GLIBCXX_3.4.19, CXXABI_1.3.7   libstdc++ of gcc 4.8.5 (RHEL 7)
#   GCC_4.8.0                      libgcc_s of gcc 4.8.5
# How the libraries get there: cmake/Softmax4jGlibc.cmake.
#
# usage: check_glibc.sh [--glibc V] [--glibcxx V] [--cxxabi V] [--gcc V] DIR|LIB.so...
#   a DIR means every *.so in it; at least one library must be found.
# Run by `mvn verify` (java/core/pom.xml) on the jar's natives and by ctest.
set -euo pipefail

max_glibc=2.17 max_glibcxx=3.4.19 max_cxxabi=1.3.7 max_gcc=4.8.0
libs=()
while (($#)); do
  case $1 in
    --glibc) max_glibc=$2; shift 2 ;;
    --glibcxx) max_glibcxx=$2; shift 2 ;;
    --cxxabi) max_cxxabi=$2; shift 2 ;;
    --gcc) max_gcc=$2; shift 2 ;;
    -*) echo "check_glibc: unknown option $1" >&2; exit 2 ;;
    *) if [[ -d $1 ]]; then
         shopt -s nullglob; libs+=("$1"/*.so); shopt -u nullglob
       elif [[ -f $1 ]]; then libs+=("$1")
       else echo "check_glibc: no such file or folder: $1" >&2; exit 2
       fi
       shift ;;
  esac
done
((${#libs[@]})) || { echo "check_glibc: no library to check" >&2; exit 2; }
command -v objdump > /dev/null || { echo "check_glibc: objdump not found (binutils)" >&2; exit 2; }

status=0
for lib in "${libs[@]}"; do
  name=$(basename "$lib")
  dump=$(objdump -p -T "$lib") || { echo "check_glibc: $name: objdump failed" >&2; status=1; continue; }
  awk -v lib="$name" -v glibc="$max_glibc" -v glibcxx="$max_glibcxx" \
      -v cxxabi="$max_cxxabi" -v gcc="$max_gcc" '
    # 1 when dotted version a is newer than b (2.3.4 > 2.3, 2.17 > 2.2.5)
    function newer(a, b,   x, y, n, i) {
      n = split(a, x, "."); split(b, y, ".")
      if (length(y) > n) n = length(y)
      for (i = 1; i <= n; i++) if (x[i] + 0 != y[i] + 0) return x[i] + 0 > y[i] + 0
      return 0
    }
    function check(tag, what,   fam, ver, max) {
      fam = tag; sub(/_[0-9.]+$/, "", fam); ver = substr(tag, length(fam) + 2)
      max = fam == "GLIBC" ? glibc : fam == "GLIBCXX" ? glibcxx : fam == "CXXABI" ? cxxabi : gcc
      if (!(fam in top) || newer(ver, top[fam])) top[fam] = ver
      if (newer(ver, max)) {
        printf "check_glibc: %s needs %s (newer than %s_%s)\n", lib, what, fam, max
        bad++
      }
    }
    /^Version References:/ { refs = 1; next }
    /^DYNAMIC SYMBOL TABLE:/ { refs = 0; syms = 1; next }
    /^ *required from / { from = $3; sub(/:$/, "", from); next }
    refs && $1 ~ /^0x/ && $4 ~ /^(GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+$/ { check($4, $4 " from " from); next }
    syms && match($0, /\(?(GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+\)?[ \t]+[^ \t]+$/) {
      split(substr($0, RSTART), f, /[ \t]+/); tag = f[1]; gsub(/[()]/, "", tag)
      check(tag, f[2] "@" tag)
    }
    END {
      line = ""; nf = split("GLIBC GLIBCXX CXXABI GCC", fams, " ")
      for (i = 1; i <= nf; i++) if (fams[i] in top) line = line " " fams[i] "_" top[fams[i]]
      if (bad) exit 1
      printf "check_glibc: %s ok, highest:%s\n", lib, line == "" ? " (no versioned symbol)" : line
    }' <<< "$dump" || status=1
done
exit $status
