#!/usr/bin/env bash
# Fault sweep of the CLI's kernel transactions (issue 12): for every N, the N-th bpf() call
# of the command fails with ENOMEM (strace -f -e inject=bpf:error=ENOMEM:when=N), and the
# exit status must agree with what the command left in the kernel. Sweeps N from 1 past the
# last bpf() call of a clean run, and on until a run is left without a fault. Modes:
#   register (default)  `struct-ops register --pin-dir`: exit 0 with everything registered
#                       and pinned, or non-zero with nothing registered and no pin.
#   update              `struct-ops update --pin` of a link registered once: exit 0 with the
#                       link on a new map, or non-zero with it still on the old one; either
#                       way only one map of the algorithm is left (no stray new one).
#   unregister-name     `struct-ops unregister NAME` of a legacy map registered with --pin-dir
#                       (so the pin walk runs too): exit 0 with the algorithm gone and the pin
#                       removed, or non-zero, saying it is still registered, with both left.
#   unregister-id       `struct-ops unregister --id ID` of a legacy map: exit 0 with it gone,
#                       or non-zero with it registered and saying so.
#   unregister-pin      `struct-ops unregister --pin PATH` of a pinned link: exit 0 with the
#                       link detached and the pin removed, or non-zero with both left.
#   unregister          the three above, one after the other (one summary line each).
# Touches the kernel: run under `flock /tmp/struct-ops-kernel.lock`. Prints the matrix and
# "fault-sweep: N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=${1:-register}
OBJ=test/fixtures/bpf/s12_owner.bpf.o
PIN=/sys/fs/bpf/struct-ops-test-i12-sweep
give_up() { echo "fault-sweep: $1"; mode_cleanup; echo "fault-sweep: 0 passed, 1 failed"; exit 1; }

# Struct_ops maps named $1: "<count>" and, for each one registered as a legacy map, deletes
# its element when $2 is "delete" (how a legacy registration ends without its process).
struct_ops_maps() {
  node -e '
    const sys = require("./dist/sys");
    const [prefix, action] = process.argv.slice(1);
    let n = 0;
    for (let id = sys.mapGetNextId(0); id !== null; id = sys.mapGetNextId(id)) {
      let fd; try { fd = sys.mapGetFdById(id); } catch { continue; }
      try {
        const i = sys.mapGetInfo(fd);
        if (i.type !== sys.BpfMapType.STRUCT_OPS || !i.name.startsWith(prefix)) continue;
        n++;
        if (action === "delete") { try { sys.mapDeleteElem(fd, Buffer.alloc(4)); } catch {} }
      } finally { fd.close(); }
    }
    console.log(n);' "$1" "${2:-count}"
}

# --- register: the fixture as it is (algorithms s12_own, s12_own_legacy) -----------------
register_names="s12_own s12_own_legacy"
register_registered() { # how many of the algorithms are registered TCP congestion controls
  local have n=0; have=" $(cat /proc/sys/net/ipv4/tcp_available_congestion_control) "
  for a in $register_names; do [[ "$have" == *" $a "* ]] && n=$((n + 1)); done; echo $n
}
register_cleanup() { rm -rf "$PIN"; struct_ops_maps s12_ delete >/dev/null; }
register_setup() { CLI=(node dist/cli/main.js register "$OBJ" --pin-dir "$PIN"); register_cleanup; }
register_clean_run_ok() { [ "$(register_registered)" = 2 ]; }
register_before() { :; }
# A link whose last reference went (pin removed by the rollback, fd closed at exit) is freed
# by the kernel shortly after, off a workqueue: a failed run may take a moment to show it.
register_settled() { [ "$1" = 0 ] || [ "$(register_registered)" = 0 ]; }
register_state() { echo "$(register_registered)/2 $(ls "$PIN" 2>/dev/null | wc -l)"; }
register_agrees() { [ "$1" = 0 ] && [ "$2" = "2/2 2" ] || { [ "$1" != 0 ] && [ "$2" = "0/2 0" ]; }; }
register_after() { register_cleanup; }

# --- update: a copy of the fixture renamed to this sweep's own names ---------------------
# Map s12_link -> s12trlnk, algorithm s12_own -> s12tr01 (same lengths, so only bytes of
# the ELF string tables, BTF strings and the variable's name field change).
update_map=s12trlnk
update_pin="$PIN/$update_map"
update_linked_map() { # map id the pinned link points at (0: none)
  node -e 'const { openPinnedLink } = require("./dist"); const l = openPinnedLink(process.argv[1]);
    try { console.log(l.info().structOpsMapId ?? 0); } finally { l.close(); }' "$update_pin" 2>/dev/null || echo 0
}
update_cleanup() { rm -rf "$PIN" "${update_dir:-}"; }
update_setup() {
  update_dir=$(mktemp -d)
  node -e '
    const fs = require("node:fs");
    const b = fs.readFileSync(process.argv[1]);
    for (const [from, to] of [["\0s12_link\0", "\0s12trlnk\0"], ["\0s12_own\0", "\0s12tr01\0"]]) {
      for (let i = b.indexOf(from); i >= 0; i = b.indexOf(from, i + 1)) b.write(to, i, "latin1");
    }
    fs.writeFileSync(process.argv[2], b);' "$OBJ" "$update_dir/sweep.bpf.o"
  rm -rf "$PIN"
  node dist/cli/main.js register "$update_dir/sweep.bpf.o" --map "$update_map" --pin-dir "$PIN" >/dev/null ||
    give_up "could not register $update_dir/sweep.bpf.o pinned at $update_pin"
  CLI=(node dist/cli/main.js update --pin "$update_pin" "$update_dir/sweep.bpf.o")
  update_before
}
update_before() { update_old=$(update_linked_map); }
update_clean_run_ok() { local now; now=$(update_linked_map); [ "$now" != 0 ] && [ "$now" != "$update_old" ]; }
# The map the link let go (or the stray new one of a failed run) is freed shortly after.
update_settled() { [ "$(struct_ops_maps "$update_map")" = 1 ]; }
update_state() {
  local now; now=$(update_linked_map)
  if [ "$now" = "$update_old" ]; then echo "old $(struct_ops_maps "$update_map")"
  elif [ "$now" = 0 ]; then echo "none $(struct_ops_maps "$update_map")"
  else echo "new $(struct_ops_maps "$update_map")"; fi
}
update_agrees() { [ "$1" = 0 ] && [ "$2" = "new 1" ] || { [ "$1" != 0 ] && [ "$2" = "old 1" ]; }; }
update_after() { :; }

# --- unregister-*: a copy of the fixture with every s12_ renamed unr_ (same length) ------
# Maps unr_link (algorithm unr_own) and unr_legacy (unr_own_legacy); each N starts from a
# fresh registration when the previous one ended it.
unr_dir=""
unr_object() {
  unr_dir=$(mktemp -d)
  node -e '
    const fs = require("node:fs");
    const b = fs.readFileSync(process.argv[1]);
    for (let i = b.indexOf("s12_"); i >= 0; i = b.indexOf("s12_", i + 1)) b.write("unr_", i, "latin1");
    fs.writeFileSync(process.argv[2], b);' "$OBJ" "$unr_dir/unr.bpf.o"
}
unr_available() { [[ " $(cat /proc/sys/net/ipv4/tcp_available_congestion_control) " == *" $1 "* ]]; }
unr_register() { # $1: map; $2: --pin-dir or nothing. Sets unr_id to the map id it printed.
  local out
  rm -rf "$PIN"
  out=$(node dist/cli/main.js register "$unr_dir/unr.bpf.o" --map "$1" ${2:+--pin-dir "$PIN"}) ||
    give_up "could not register $1 of $unr_dir/unr.bpf.o"
  [[ "$out" =~ id\ ([0-9]+) ]] || give_up "register printed no map id: $out"
  unr_id=${BASH_REMATCH[1]}
}
unr_cleanup() { rm -rf "$PIN"; struct_ops_maps unr_ delete >/dev/null; [ -n "$unr_dir" ] && rm -rf "$unr_dir"; unr_dir=""; }
# "registered|gone pin|nopin" from the kernel's list of congestion controls and the bpffs.
unr_state() { # $1: algorithm; $2: pin path or nothing
  local reg=gone pin=nopin
  unr_available "$1" && reg=registered
  [ -n "${2:-}" ] && [ -e "$2" ] && pin=pin
  echo "$reg $pin"
}
# Exit 0 exactly when the registration (and its pin) is gone; a failure says it is still there.
unr_agrees() { # $1: exit status; $2: state; $3: state when done; $4: state when untouched
  [ "$1" = 0 ] && [ "$2" = "$3" ] && return 0
  [ "$1" != 0 ] && [ "$2" = "$4" ] && grep -qE 'still registered|nothing was unregistered' "$run_stderr"
}

unregister_name_setup() { unr_object; rm -rf "$PIN"; CLI=(node dist/cli/main.js unregister unr_legacy); unregister_name_before; }
unregister_name_before() { unr_available unr_own_legacy || unr_register unr_legacy --pin-dir; }
unregister_name_clean_run_ok() { [ "$(unregister_name_state)" = "gone nopin" ]; }
unregister_name_settled() { :; }
unregister_name_state() { unr_state unr_own_legacy "$PIN/unr_legacy"; }
unregister_name_agrees() { unr_agrees "$1" "$2" "gone nopin" "registered pin"; }
unregister_name_after() { :; }
unregister_name_cleanup() { unr_cleanup; }

unregister_id_setup() { unr_object; rm -rf "$PIN"; unregister_id_before; }
unregister_id_before() {
  unr_available unr_own_legacy || unr_register unr_legacy
  CLI=(node dist/cli/main.js unregister --id "$unr_id")
}
unregister_id_clean_run_ok() { [ "$(unregister_id_state)" = "gone nopin" ]; }
unregister_id_settled() { :; }
unregister_id_state() { unr_state unr_own_legacy; }
unregister_id_agrees() { unr_agrees "$1" "$2" "gone nopin" "registered nopin"; }
unregister_id_after() { :; }
unregister_id_cleanup() { unr_cleanup; }

unregister_pin_setup() { unr_object; rm -rf "$PIN"; CLI=(node dist/cli/main.js unregister --pin "$PIN/unr_link"); unregister_pin_before; }
unregister_pin_before() { unr_available unr_own || unr_register unr_link --pin-dir; }
unregister_pin_clean_run_ok() { [ "$(unregister_pin_state)" = "gone nopin" ]; }
unregister_pin_settled() { :; }
unregister_pin_state() { unr_state unr_own "$PIN/unr_link"; }
unregister_pin_agrees() { unr_agrees "$1" "$2" "gone nopin" "registered pin"; }
unregister_pin_after() { :; }
unregister_pin_cleanup() { unr_cleanup; }

case "$MODE" in
  register|update|unregister-name|unregister-id|unregister-pin) ;;
  unregister)
    status=0
    for sub in unregister-name unregister-id unregister-pin; do bash "${BASH_SOURCE[0]}" "$sub" || status=1; done
    exit $status ;;
  *) echo "usage: fault-sweep.sh [register|update|unregister|unregister-name|unregister-id|unregister-pin]" >&2; exit 2 ;;
esac
MODE_FN=${MODE//-/_}
mode_cleanup() { "${MODE_FN}_cleanup"; rm -f "$run_stderr" "$run_trace"; }
run_stderr=$(mktemp)
run_trace=$(mktemp)
command -v strace >/dev/null || { echo "fault-sweep: strace missing"; echo "fault-sweep: 0 passed, 1 failed"; exit 1; }
# --pin-dir mounts a bpffs at /sys/fs/bpf when there is none (as bpftool does); one this
# sweep mounted goes again at exit, once only bpf_preload's entries are left in it.
bpffs_mounted() { awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { found = 1 } END { exit !found }' /proc/self/mounts; }
bpffs_before=0; bpffs_mounted && bpffs_before=1
restore_bpffs() {
  [ "$bpffs_before" = 1 ] || ! bpffs_mounted && return
  [ -z "$(ls -A /sys/fs/bpf | grep -vxE 'maps\.debug|progs\.debug')" ] && umount /sys/fs/bpf
}
trap 'mode_cleanup; restore_bpffs' EXIT

"${MODE_FN}_setup"
clean_trace=$(strace -f -qq -e trace=bpf -o /dev/stdout "${CLI[@]}" 2>/dev/null | grep 'bpf(')
calls=$(grep -c 'bpf(' <<<"$clean_trace")
"${MODE_FN}_clean_run_ok" || give_up "the clean $MODE run did not do its change"
"${MODE_FN}_after"
echo "fault-sweep: a clean $MODE makes $calls bpf() calls"
passed=0; failed=0
# The "ended" column (unregister modes): whether this run's own trace shows the call that
# ends a registration (a map delete or link detach) returning 0. Taken per run, not from
# the clean run's position: the walks before it (every map id, every bpffs entry) grow and
# shrink with whatever else the kernel holds at that moment, such as maps still being freed.
# The "fault" column: whether this run's own trace shows the injected failure. The sweep
# goes on past the clean run's count until a run has no fault left to inject (bounded):
# the same walks can be longer in a later run, so calls+1 alone may still hit a call.
printf '%-4s %-5s %-5s %-5s %-14s %-8s %s\n' N exit fault ended state verdict message
last=$((calls + 1))
n=0
while (( n < last )); do
  n=$((n + 1))
  "${MODE_FN}_before"
  strace -f -qq -o "$run_trace" -e trace=bpf -e inject=bpf:error=ENOMEM:when=$n "${CLI[@]}" >/dev/null 2>"$run_stderr"
  rc=$?
  fault=no; grep -q 'INJECTED' "$run_trace" && fault=yes
  [[ $fault == yes && $n -eq $last && $last -lt $((calls + 20)) ]] && last=$((last + 1))
  ended=-
  if [[ "$MODE" == unregister-* ]]; then
    ended=no; grep -qE 'bpf\(BPF_(MAP_DELETE_ELEM|LINK_DETACH),.*\) = 0$' "$run_trace" && ended=yes
  fi
  for _ in $(seq 1 50); do "${MODE_FN}_settled" $rc && break; sleep 0.1; done
  state=$("${MODE_FN}_state")
  if "${MODE_FN}_agrees" $rc "$state"; then verdict=agree; passed=$((passed + 1)); else verdict=DISAGREE; failed=$((failed + 1)); fi
  printf '%-4s %-5s %-5s %-5s %-14s %-8s %s\n' "$n" "$rc" "$fault" "$ended" "$state" "$verdict" "$(grep -m1 -E 'warning|struct-ops' "$run_stderr" | cut -c1-150)"
  "${MODE_FN}_after"
done
echo "fault-sweep: $passed passed, $failed failed"
[ $failed = 0 ]
