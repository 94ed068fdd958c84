#!/usr/bin/env bash
# struct-ops against libbpf 1.1 / bpftool 7.1 (Debian bookworm) and libbpf 1.7 (sid's
# libbpf.a, linked statically), every figure of issue 13 side by side in ONE run.
#
# Every sample is a fresh process. Rows are measured round-robin (sample i of every row,
# then sample i+1 of every row), so a change of machine load spreads over all rows alike.
# Printed per row: successful runs, median, min-max, and the ratio to the row's reference.
# The load average is printed before and after: the machine may be shared.
#
#   CLI (wall time of a whole process, fork to exit, measured by libbpf-bench exec):
#     node -e 0; struct-ops --help; struct-ops show; register and unregister of a small
#     controller (reno.bpf.o) as two CLI processes each, against bpftool 7.1 and a
#     libbpf 1.7 program doing bpftool's steps (bpftool 7.8 from trixie-backports needs
#     glibc 2.38: used instead when it runs here).
#   library: require('struct-ops') time and modules; modules loaded by --help.
#   open+load+attach, first in a fresh process (timed inside the process, as libbpf-bench.c
#     does): reno.bpf.o (3 programs, kfuncs, .bss), cubic.bpf.o (7 programs, 3 subprograms,
#     maps, kconfig), cubic_noinline.bpf.o (cubic.bpf.c built with -fno-inline, when
#     clang-19 is installed).
#   warm load: the 10th open+load+attach in one process, and the kernel's own time for it:
#     the bpf() syscalls of that load summed by `strace -f -T` (no unregister RCU wait).
#
# Env: BENCH_RUNS (11), BENCH_MAP_RUNS (3), BENCH_BEFORE=DIR (also bench the struct-ops checkout in DIR, e.g. a
#      build of main, as "before" rows), NODE (node), CC (gcc). Needs root; run it under
#      `flock /tmp/struct-ops-kernel.lock` on a shared machine. Not part of `npm test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
BUILD="$BENCH/build"
RUNS="${BENCH_RUNS:-11}"
BEFORE="${BENCH_BEFORE:-}"
CC="${CC:-gcc}"
NODE="${NODE:-node}"
FIX="$ROOT/test/fixtures/bpf"
WARM_N=10

die() { echo "bench: error: $*" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[ "$(id -u)" = 0 ] || die "needs root (loads BPF objects)"
command -v "$CC" >/dev/null || die "$CC not found"
[ -f /usr/include/bpf/libbpf.h ] || die "libbpf headers missing (apt-get install libbpf-dev)"
[ -f "$ROOT/dist/cli/main.js" ] || die "dist/ missing (npm run build)"
[ -z "$BEFORE" ] || [ -f "$BEFORE/dist/cli/main.js" ] || die "BENCH_BEFORE=$BEFORE has no dist/cli/main.js"
command -v bpftool >/dev/null || die "bpftool missing (apt-get install bpftool)"
if bpftool struct_ops show 2>/dev/null | grep -q .; then
  die "struct_ops maps are registered already (bpftool struct_ops show): the bench needs a quiet kernel"
fi

mkdir -p "$BUILD"
"$CC" -O2 -Wall -Wextra -o "$BUILD/libbpf-bench-1.1" "$BENCH/libbpf-bench.c" -lbpf \
  || die "building libbpf-bench against libbpf 1.1 failed"
LB11="$BUILD/libbpf-bench-1.1"

newest="$(bash "$BENCH/fetch-newest.sh" "$BUILD/newest")" || die "fetching sid's libbpf-dev failed"
LIBBPF17_DIR="$(sed -n 's/^libbpf_dir=//p' <<<"$newest")"
BPFTOOL78="$(sed -n 's/^bpftool=//p' <<<"$newest")"
LB17=""
if [ -n "$LIBBPF17_DIR" ]; then
  "$CC" -O2 -Wall -Wextra -I"$LIBBPF17_DIR/usr/include" -o "$BUILD/libbpf-bench-new" "$BENCH/libbpf-bench.c" \
    "$BENCH/glibc-compat.c" "$LIBBPF17_DIR/usr/lib/x86_64-linux-gnu/libbpf.a" -lelf -lz \
    || die "linking libbpf-bench against sid's libbpf.a failed"
  LB17="$BUILD/libbpf-bench-new"
fi
LBNEW_VER="$([ -n "$LB17" ] && sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$("$LB17" version)")"
if [ -n "$BPFTOOL78" ] && ! "$BPFTOOL78" version >/dev/null 2>&1; then
  echo "bench: $(basename "$(dirname "$(dirname "$(dirname "$BPFTOOL78")")")") does not run here" \
    "($("$BPFTOOL78" version 2>&1 | head -n1 | sed 's/.*: //')); libbpf $LBNEW_VER does bpftool's steps instead" >&2
  BPFTOOL78=""
fi

# An object like upstream bpf_cubic built without inlining: cubic.bpf.c with -fno-inline.
NOINLINE=""
if command -v clang-19 >/dev/null && command -v llvm-objcopy-19 >/dev/null; then
  if ! [ -f "$BUILD/cubic_noinline.bpf.o" ] || [ "$FIX/cubic.bpf.c" -nt "$BUILD/cubic_noinline.bpf.o" ]; then
    bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$BUILD/vmlinux.h"
    clang-19 -g -O2 -fno-inline -target bpf -D__TARGET_ARCH_x86 -I "$BUILD" -I "$FIX" \
      -c "$FIX/cubic.bpf.c" -o "$BUILD/cubic_noinline.tmp.o"
    llvm-objcopy-19 --strip-debug "$BUILD/cubic_noinline.tmp.o" "$BUILD/cubic_noinline.bpf.o"
    rm -f "$BUILD/cubic_noinline.tmp.o"
  fi
  NOINLINE="$BUILD/cubic_noinline.bpf.o"
fi

results="$(mktemp)"
trap 'rm -f "$results" "$results".*; bpftool struct_ops unregister name reno >/dev/null 2>&1 || true' EXIT

# field KEY TEXT : the number after "KEY": in a JSON line, or nothing
field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" <<<"$2" | tail -n1; }

# Rows: id, label, reference row id (ratio printed against it), command ("" = none).
ROW_IDS=()
declare -A LABEL REF CMD KEY
row() { ROW_IDS+=("$1"); LABEL[$1]="$2"; REF[$1]="$3"; KEY[$1]="$4"; shift 4; CMD[${ROW_IDS[-1]}]="$*"; }

CLI_NOW="$ROOT/dist/cli/main.js"
CLI_BEFORE="$BEFORE/dist/cli/main.js"
OURS="$NODE $BENCH/ours.js"
impls=(now)
[ -n "$BEFORE" ] && impls=(before now)
ours_env() { [ "$1" = before ] && echo "BENCH_ROOT=$BEFORE" || echo "BENCH_ROOT=$ROOT"; }
cli() { [ "$1" = before ] && echo "$CLI_BEFORE" || echo "$CLI_NOW"; }

row node0 'node -e 0' '' ms "$LB11" exec "$NODE" -e 0
for v in "${impls[@]}"; do
  row "help-$v" "struct-ops --help ($v)" node0 ms "$LB11" exec "$NODE" "$(cli "$v")" --help
  row "show-$v" "struct-ops show ($v)" node0 ms "$LB11" exec "$NODE" "$(cli "$v")" show
done
# register/unregister pairs: the pair's second command is run right after its first.
row reg-bt71 'register reno: bpftool 7.1' '' ms "$LB11" exec bpftool struct_ops register "$FIX/reno.bpf.o"
row unreg-bt71 'unregister reno: bpftool 7.1' '' ms "$LB11" exec bpftool struct_ops unregister name reno
if [ -n "$BPFTOOL78" ]; then
  row reg-new 'register reno: bpftool 7.8' reg-bt71 ms "$LB11" exec "$BPFTOOL78" struct_ops register "$FIX/reno.bpf.o"
  row unreg-new 'unregister reno: bpftool 7.8' unreg-bt71 ms "$LB11" exec "$BPFTOOL78" struct_ops unregister name reno
elif [ -n "$LB17" ]; then
  row reg-new "register reno: libbpf $LBNEW_VER (bpftool's steps)" reg-bt71 ms "$LB11" exec "$LB17" register "$FIX/reno.bpf.o"
  row unreg-new "unregister reno: libbpf $LBNEW_VER" unreg-bt71 ms "$LB11" exec "$LB17" unregister reno
fi
for v in "${impls[@]}"; do
  row "reg-$v" "register reno: struct-ops ($v)" reg-bt71 ms "$LB11" exec "$NODE" "$(cli "$v")" register "$FIX/reno.bpf.o"
  row "unreg-$v" "unregister reno: struct-ops ($v)" unreg-bt71 ms "$LB11" exec "$NODE" "$(cli "$v")" unregister reno
done
for v in "${impls[@]}"; do
  row "req-$v" "require('struct-ops') ms ($v)" '' ms env "$(ours_env "$v")" $OURS require
  row "reqmod-$v" "modules loaded by require ($v)" '' modules env "$(ours_env "$v")" $OURS require
  row "helpmod-$v" "modules loaded by --help ($v)" '' modules "$NODE" -r "$BENCH/count-modules.js" "$(cli "$v")" --help
done
load_rows() { # ID LABEL FILE MAP
  local id=$1 label=$2 file=$3 map=$4 v
  row "$id-l11" "$label: libbpf 1.1" '' attach_ms "$LB11" load "$file" "$map"
  [ -n "$LB17" ] && row "$id-l17" "$label: libbpf $LBNEW_VER" '' attach_ms "$LB17" load "$file" "$map"
  for v in "${impls[@]}"; do
    row "$id-$v" "$label: struct-ops ($v)" "$id-l11" attach_ms env "$(ours_env "$v")" $OURS load "$file" "$map"
  done
}
load_rows reno 'open+load+attach reno' "$FIX/reno.bpf.o" reno
load_rows cubic 'open+load+attach cubic' "$FIX/cubic.bpf.o" cubic_legacy
[ -n "$NOINLINE" ] && load_rows noinl 'open+load+attach cubic -fno-inline' "$NOINLINE" cubic_legacy
for v in "${impls[@]}"; do
  row "warm-$v" "warm load reno, ${WARM_N}th in a process ($v)" "kern-$v" ms env "$(ours_env "$v")" $OURS warm "$FIX/reno.bpf.o" reno "$WARM_N"
  row "kern-$v" "  kernel's bpf() time of that load, strace -T ($v)" '' kernel_ms strace-warm "$v"
done

# strace-warm IMPL: runs the warm load under strace and sums the bpf() times between the marks.
strace_warm() {
  local v=$1 log="$results.strace"
  env "$(ours_env "$v")" BENCH_MARK=1 strace -f -T -e trace=bpf,write -o "$log" \
    $OURS warm "$FIX/reno.bpf.o" reno "$WARM_N" >/dev/null 2>&1 || return 1
  awk '/<bench-mark>/ { m++; next }
       m == 1 && /bpf\(|<\.\.\. bpf resumed>/ && !/BPF_MAP_DELETE_ELEM/ {
         if (match($0, /<[0-9.]+>$/)) s += substr($0, RSTART + 1, RLENGTH - 2) }
       END { if (m < 2) exit 1; printf "{\"kernel_ms\":%.3f}\n", s * 1000 }' "$log"
}

sample() { # ID: one run of the row, appends "ID value" on success
  local id=$1 out val
  if [[ "${CMD[$id]}" == strace-warm* ]]; then out="$(strace_warm "${CMD[$id]#strace-warm }" 2>&1)" || return 1
  else out="$(eval "${CMD[$id]}" 2>&1)" || { echo "$out" >"$results.err.$id"; return 1; }
  fi
  val="$(field "${KEY[$id]}" "$out")"
  [ -n "$val" ] || { echo "$out" >"$results.err.$id"; return 1; }
  echo "$id $val" >>"$results"
}

echo "bench: $RUNS rounds; load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; node $("$NODE" --version)" >&2
for ((i = 0; i < RUNS; i++)); do
  for id in "${ROW_IDS[@]}"; do
    case "$id" in
      reg-*) sample "$id" || true ;;
      unreg-*) sample "$id" || bpftool struct_ops unregister name reno >/dev/null 2>&1 || true ;;
      *) sample "$id" || true ;;
    esac
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

stats() { # ID -> "n median min max" or "0"
  awk -v id="$1" '$1 == id { print $2 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print 0; exit }
      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%d %.3f %.3f %.3f\n", NR, med, v[1], v[NR] }'
}

printf '%-58s %5s %10s %21s  %s\n' "figure" "n" "median" "min-max" "ratio"
declare -A MED
for id in "${ROW_IDS[@]}"; do read -r n med _ <<<"$(stats "$id")"; MED[$id]="${med:-}"; [ "$n" = 0 ] && MED[$id]=""; done
for id in "${ROW_IDS[@]}"; do
  read -r n med lo hi <<<"$(stats "$id")"
  if [ "$n" = 0 ]; then
    printf '%-58s %5s %10s %21s  %s\n' "${LABEL[$id]}" 0 n/a '' "failed: $(tail -n1 "$results.err.$id" 2>/dev/null)"
    continue
  fi
  ratio=""
  ref="${REF[$id]}"
  if [ -n "$ref" ] && [ -n "${MED[$ref]:-}" ]; then
    if [ "$ref" = node0 ]; then ratio="$(awk -v a="${MED[$ref]}" -v b="$med" 'BEGIN { printf "node -e 0 %+.1f ms", b - a }')"
    else ratio="$(awk -v a="${MED[$ref]}" -v b="$med" 'BEGIN { if (a > 0) printf "%.2fx %s", b / a, "'"${LABEL[$ref]##*: }"'" }')"
    fi
  fi
  if [ "${KEY[$id]}" = modules ]; then printf '%-58s %5s %10s %21s  %s\n' "${LABEL[$id]}" "$n" "${med%.*}" "${lo%.*}-${hi%.*}" ""
  else printf '%-58s %5s %10s %21s  %s\n' "${LABEL[$id]}" "$n" "$med" "$lo-$hi" "$ratio"
  fi
done
# libbpf 1.7 ratios for the open+load+attach rows
for id in "${ROW_IDS[@]}"; do
  case "$id" in *-now|*-before) ;; *) continue ;; esac
  base="${id%-*}"
  if [ -n "${MED[$base-l17]:-}" ] && [ -n "${MED[$id]:-}" ]; then
    awk -v a="${MED[$base-l17]}" -v b="${MED[$id]}" -v l="${LABEL[$id]}" -v ver="$LBNEW_VER" \
      'BEGIN { if (a > 0) printf "%-58s %.2fx libbpf %s\n", l, b / a, ver }'
  fi
done
echo "bench: load average after: $load_after (ms unless a module count; n = successful runs of $RUNS)" >&2

# Map access (issue 11), same run, same object (test/fixtures/bpf/s11_bench.bpf.o):
# lookups/s of one existing key (bpf_map_lookup_elem loop vs BpfMap.lookup(key, out)) and
# ring buffer records/s consumed (ring_buffer__consume vs RingBufferReader), 16-byte
# records put in the ring by a test-run'd program; only consumption is timed, after one
# untimed warm-up round on both sides (V8 compiles the JS consumer during it). The best of
# BENCH_MAP_RUNS (3) processes per side, as the host may be shared.
MAPS_OBJ="$ROOT/test/fixtures/bpf/s11_bench.bpf.o"
MAP_RUNS="${BENCH_MAP_RUNS:-3}"
"$CC" -O2 -Wall -Wextra -o "$BUILD/maps-libbpf" "$BENCH/maps-libbpf.c" -lbpf || die "building maps-libbpf failed"
maps="$results.maps"
for ((i = 0; i < MAP_RUNS; i++)); do
  "$BUILD/maps-libbpf" "$MAPS_OBJ" | sed 's/^/libbpf /' >>"$maps" || echo "bench: maps-libbpf failed" >&2
  "$NODE" "$BENCH/maps-ours.js" "$MAPS_OBJ" | sed 's/^/ours /' >>"$maps" || echo "bench: maps-ours failed" >&2
done
best() { # IMPL ROW -> best rate or n/a
  grep "^$1 " "$maps" | grep -F "\"row\":\"$2\"" | sed -n 's/.*"rate":\([0-9]*\).*/\1/p' | sort -n | tail -n1 | grep . || echo n/a
}
echo
printf '%-44s %16s %16s %12s\n' "map access (best of $MAP_RUNS)" "libbpf /s" "ours /s" "ours/libbpf"
# Every ring buffer row of ours is compared with libbpf's one; consumeBatch is the fast path.
for row in "hash lookups/s" "per-CPU lookups/s" "ring buffer records/s (consumeBatch)" \
  "ring buffer records/s (consumeEach)" "ring buffer records/s (consume, Buffer each)" \
  "ring buffer records/s (for await)"; do
  a="$(best libbpf "ring buffer records/s")"
  case "$row" in *lookups*) a="$(best libbpf "$row")" ;; esac
  b="$(best ours "$row")"
  ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else print "n/a" }')"
  printf '%-44s %16s %16s %12s\n' "$row" "$a" "$b" "$ratio"
done
