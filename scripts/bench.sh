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
# Env: BENCH_RUNS (15), BENCH_MAP_RUNS (3), BENCH_FILE (test/fixtures/bpf/cubic.bpf.o),
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

# Map access (issue 11), same run, same object (test/fixtures/bpf/s11_bench.bpf.o):
# lookups/s of one existing key (bpf_map_lookup_elem loop vs BpfMap.lookup(key, out)) and
# ring buffer records/s consumed (ring_buffer__consume vs RingBufferReader), 16-byte
# records put in the ring by a test-run'd program; only consumption is timed. The best of
# BENCH_MAP_RUNS (3) processes per side, as the host is shared.
MAPS_OBJ="$ROOT/test/fixtures/bpf/s11_bench.bpf.o"
MAP_RUNS="${BENCH_MAP_RUNS:-3}"
"$CC" -O2 -Wall -Wextra -o "$BUILD/maps-libbpf" "$BENCH/maps-libbpf.c" -lbpf || die "building maps-libbpf failed"
maps="$(mktemp)"
trap 'rm -f "$results" "$maps"' EXIT
for ((i = 0; i < MAP_RUNS; i++)); do
  "$BUILD/maps-libbpf" "$MAPS_OBJ" | sed 's/^/libbpf /' >>"$maps" || echo "bench: maps-libbpf failed" >&2
  "$NODE" "$BENCH/maps-ours.js" "$MAPS_OBJ" | sed 's/^/ours /' >>"$maps" || echo "bench: maps-ours failed" >&2
done
best() { # IMPL ROW -> best rate or n/a
  grep "^$1 " "$maps" | grep -F "\"row\":\"$2\"" | sed -n 's/.*"rate":\([0-9]*\).*/\1/p' | sort -n | tail -n1 | grep . || echo n/a
}
echo
printf '%-44s %16s %16s %12s\n' "map access (best of $MAP_RUNS)" "libbpf /s" "ours /s" "ours/libbpf"
for row in "hash lookups/s" "per-CPU lookups/s" "ring buffer records/s" \
  "ring buffer records/s (consume, Buffer each)" "ring buffer records/s (for await)"; do
  a="$(best libbpf "ring buffer records/s")"
  case "$row" in *lookups*) a="$(best libbpf "$row")" ;; esac
  b="$(best ours "$row")"
  ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "n/a" }')"
  printf '%-44s %16s %16s %12s\n' "$row" "$a" "$b" "$ratio"
done
