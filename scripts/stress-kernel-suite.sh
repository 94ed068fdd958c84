#!/usr/bin/env bash
# Runs the kernel suite (test/kernel, kernel tests mandatory) RUNS times in a row (default 3)
# while two busy loops keep both cores loaded, to show that no test depends on how much work
# fits in a wall-clock interval. The hogs are this script's children and are always stopped
# (also on Ctrl-C or a failed run). Touches the kernel: run it under the shared lock:
#   flock /tmp/struct-ops-kernel.lock bash scripts/stress-kernel-suite.sh
# Prints one line per run and "stress: N runs, N passed, N failed tests"; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
HOGS="${HOGS:-2}"

hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
  hogs=()
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq "$HOGS"); do
  sh -c 'while :; do :; done' &
  hogs+=("$!")
done
echo "stress: ${#hogs[@]} busy loops running (pids ${hogs[*]}); ${RUNS} runs of jest test/kernel"

passed=0
failed=0
status=0
for run in $(seq "$RUNS"); do
  report="$(mktemp)"
  started=$SECONDS
  STRUCT_OPS_REQUIRE_KERNEL=1 npx jest test/kernel --json --outputFile="$report" >"$report.log" 2>&1
  rc=$?
  line="$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    console.log(`${r.numPassedTests} ${failed}`);
  ' "$report" 2>/dev/null || echo "0 1")"
  read -r p f <<<"$line"
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  passed=$((passed + p))
  failed=$((failed + f))
  echo "stress: run $run: $p passed, $f failed ($((SECONDS - started)) s)"
  if [ "$f" -ne 0 ]; then
    status=1
    grep -E '^\s+●' "$report.log" | sort -u | head -20
  fi
  rm -f "$report" "$report.log"
done
stop_hogs
echo "stress: $RUNS runs, $passed passed, $failed failed tests"
exit "$status"
