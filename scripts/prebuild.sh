#!/usr/bin/env bash
# Puts the compiled addon for each supported platform under prebuilds/<platform>-<arch>/ so
# the packed package works as a dependency without any install script (npm 11 skips
# dependencies' install scripts unless the consumer approves them). N-API: one binary per
# platform serves every supported Node version. Run by `npm pack` (prepack).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
die() { echo "prebuild: error: $*" >&2; exit 1; }

# install SRC DEST [STRIP]: copy (stripped of symbols the loader does not need), then rename,
# so a process that has DEST loaded keeps its mapping (overwriting a loaded .so crashes it).
install_addon() {
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$"
  "${3:-strip}" --strip-unneeded "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

[ -f build/Release/struct_ops.node ] || npx node-gyp rebuild
install_addon build/Release/struct_ops.node prebuilds/linux-x64/struct_ops.node
file prebuilds/linux-x64/struct_ops.node | grep -q 'x86-64' || die "linux-x64 prebuild is not an x86-64 ELF"

if [ -x scripts/build-arm64.sh ] || [ -f scripts/build-arm64.sh ]; then
  bash scripts/build-arm64.sh >/dev/null || die "arm64 cross-build failed"
  arm="$(ls build-arm64/Release/struct_ops.node 2>/dev/null || true)"
  [ -n "$arm" ] || die "arm64 cross-build produced no struct_ops.node"
  install_addon "$arm" prebuilds/linux-arm64/struct_ops.node aarch64-linux-gnu-strip
  file prebuilds/linux-arm64/struct_ops.node | grep -q 'ARM aarch64' || die "linux-arm64 prebuild is not an AArch64 ELF"
else
  echo "prebuild: scripts/build-arm64.sh missing; packing linux-x64 only" >&2
fi
# Portability: glibc >= 2.28 (RHEL 8, Debian 10, Ubuntu 20.04) must load every prebuild,
# so no versioned symbol may be newer than GLIBC_2.28 (test/unit/module/glibc.test.ts too).
for addon in prebuilds/*/struct_ops.node; do
  newest="$(objdump -T "$addon" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)"
  [ -n "$newest" ] || die "$addon: no GLIBC symbol versions found (objdump -T)"
  if [ "$(printf '%s\n2.28\n' "$newest" | sort -V | tail -n1)" != "2.28" ]; then
    die "$addon needs GLIBC_$newest; prebuilds must run on glibc 2.28"
  fi
done
ls -l prebuilds/*/struct_ops.node
