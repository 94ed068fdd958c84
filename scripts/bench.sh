#!/usr/bin/env bash
# Compare struct-ops with the system libbpf (libbpf-dev 1.1).
#
# Builds scripts/bench/build/libbpf-bench (gitignored), then runs each mode
# BENCH_RUNS times (default 15), every run a fresh process timing one cold
# operation, for both libbpf (scripts/bench/libbpf-bench.c) and struct-ops
# (scripts/bench/ours.js, needs dist/), and prints the medians.
#
#   modes:  btf                    load vmlinux BTF, find struct tcp_congestion_ops
#           load FILE MAP          open + load + attach MAP, then detach + close,
#                                  timed separately (same split points on both sides)
#
# Rows: btf; "open+load+attach"; "detach+close" (a legacy map's unregister is
# BPF_MAP_DELETE_ELEM, which waits for an RCU grace period in the kernel: mostly
# kernel time on both sides); "load total" (both, measured in the same run).
# The first struct-ops run after boot also builds the kernel BTF name index
# (/run/struct-ops); every later run reads it.
#
# Env: BENCH_RUNS (15), BENCH_FILE (test/fixtures/bpf/cubic.bpf.o),
#      BENCH_MAP (cubic_legacy), CC (gcc), NODE (node). Needs root for load.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
BUILD="$BENCH/build"
RUNS="${BENCH_RUNS:-15}"
FILE="${BENCH_FILE:-$ROOT/test/fixtures/bpf/cubic.bpf.o}"
MAP="${BENCH_MAP:-cubic_legacy}"
CC="${CC:-gcc}"
NODE="${NODE:-node}"

die() { echo "bench: error: $*" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
command -v "$CC" >/dev/null || die "$CC not found"
[ -f /usr/include/bpf/libbpf.h ] || die "libbpf headers missing (apt-get install libbpf-dev)"
[ -f "$FILE" ] || die "$FILE not found (run scripts/build-fixtures.sh)"

mkdir -p "$BUILD"
"$CC" -O2 -Wall -Wextra -o "$BUILD/libbpf-bench" "$BENCH/libbpf-bench.c" -lbpf \
  || die "building libbpf-bench failed"

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

# field KEY LINE : the number after "KEY": in a JSON line, or nothing
field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" <<<"$2" | tail -n1; }

# run IMPL MODE CMD... : RUNS fresh processes, append "ROW IMPL ms" per success;
# a load run gives three rows: attach (open+load+attach), close, and total
run() {
  local impl="$1" mode="$2"; shift 2
  local i out ms a c fails=0 err=""
  for ((i = 0; i < RUNS; i++)); do
    if out="$("$@" 2>&1)"; then
      ms="$(field ms "$out")"
      if [ "$mode" = load ]; then
        a="$(field attach_ms "$out")"; c="$(field close_ms "$out")"
        if [ -n "$ms" ] && [ -n "$a" ] && [ -n "$c" ]; then
          printf '%s %s %s\n' attach "$impl" "$a" close "$impl" "$c" total "$impl" "$ms" >>"$results"
          continue
        fi
      elif [ -n "$ms" ]; then echo "$mode $impl $ms" >>"$results"; continue; fi
    fi
    fails=$((fails + 1)); err="$(tail -n1 <<<"$out")"
  done
  if [ "$fails" -gt 0 ]; then
    echo "bench: $impl $mode: $fails/$RUNS runs failed; last error: $err" >&2
  fi
}

echo "bench: $RUNS runs per mode; load = $(basename "$FILE") map $MAP" >&2
run libbpf btf  "$BUILD/libbpf-bench" btf
run ours   btf  "$NODE" "$BENCH/ours.js" btf
run libbpf load "$BUILD/libbpf-bench" load "$FILE" "$MAP"
run ours   load "$NODE" "$BENCH/ours.js" load "$FILE" "$MAP"

median() { # MODE IMPL -> median ms or "n/a"
  awk -v m="$1" -v i="$2" '$1 == m && $2 == i { print $3 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "n/a"; exit }
      if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
count() { awk -v m="$1" -v i="$2" '$1 == m && $2 == i' "$results" | wc -l; }

echo "load: $(basename "$FILE") map $MAP"
printf '%-24s %18s %18s %12s\n' "mode" "libbpf median ms" "ours median ms" "ours/libbpf"
for row in btf attach close total; do
  a="$(median "$row" libbpf)"; b="$(median "$row" ours)"
  ratio="n/a"
  if [ "$a" != n/a ] && [ "$b" != n/a ]; then
    ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }')"
  fi
  case "$row" in
    attach) label="open+load+attach" ;;
    close) label="detach+close" ;;
    total) label="load total" ;;
    *) label="$row" ;;
  esac
  printf '%-24s %18s %18s %12s\n' "$label" "$a ($(count "$row" libbpf))" "$b ($(count "$row" ours))" "$ratio"
done
echo "(n) = successful runs out of $RUNS" >&2
