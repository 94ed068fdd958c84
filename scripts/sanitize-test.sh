#!/usr/bin/env bash
# Native safety job: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer in a
# scratch directory, then runs every test that reaches native code against that build
# (STRUCT_OPS_ADDON), with the sanitizer runtimes preloaded into node. Any sanitizer report
# fails the job. Prints "sanitize: N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d /tmp/struct-ops-asan.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# Readable by the unprivileged child processes of the privilege tests.
chmod 755 "$WORK"

cp -r "$ROOT/binding.gyp" "$ROOT/native" "$WORK/"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
# Build against the same Node headers npm uses (this image sets nodedir; offline otherwise).
nodedir="$(npm config get nodedir 2>/dev/null || true)"
gyp_args=(rebuild)
if [ -n "$nodedir" ] && [ "$nodedir" != "undefined" ] && [ "$nodedir" != "null" ]; then gyp_args+=("--nodedir=$nodedir"); fi
echo "sanitize: building the addon with $flags"
if ! (cd "$WORK" && NODE_PATH="$ROOT/node_modules" CXXFLAGS="$flags" CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
      "$ROOT/node_modules/.bin/node-gyp" "${gyp_args[@]}" >"$WORK/build.log" 2>&1); then
  tail -30 "$WORK/build.log"
  echo "sanitize: 0 passed, 1 failed"
  exit 1
fi
addon="$WORK/build/Release/struct_ops.node"
ldd "$addon" | grep -q libasan || { echo "sanitize: addon is not linked against libasan"; exit 1; }

preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
log="$WORK/jest.log"
report="$WORK/report.json"
echo "sanitize: running native-reaching tests under ASan/UBSan"
STRUCT_OPS_ADDON="$addon" LD_PRELOAD="$preload" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:log_path=$WORK/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$WORK/ubsan" \
  "$ROOT/node_modules/.bin/jest" --rootDir "$ROOT" test/kernel/sys test/kernel/load test/kernel/privilege \
  --json --outputFile="$report" >"$log" 2>&1
status=$?

reports="$(cat "$WORK"/asan.* "$WORK"/ubsan.* 2>/dev/null || true)"
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  let failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  if (process.argv[2] !== "") { console.log(process.argv[2]); failed += 1; }
  console.log(`sanitize: ${r.numPassedTests} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
' "$report" "$reports" || { tail -40 "$log"; exit 1; }
[ "$status" -eq 0 ] || { tail -40 "$log"; exit 1; }
