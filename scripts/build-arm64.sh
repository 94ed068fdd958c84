#!/usr/bin/env bash
# Cross-compiles the native addon for linux-arm64 with Debian's aarch64 toolchain
# (g++-aarch64-linux-gnu) and node-gyp --arch=arm64, into build-arm64/Release/struct_ops.node,
# then checks the result: an AArch64 shared object that needs only libc, libm, libstdc++
# and libgcc_s. The Node headers (nodedir) are the host's: they are the same on every arch.
# The sources are built in a copy (build-arm64/src) so build/ (the host's addon) is untouched.
# Exit status non-zero when the toolchain cannot be installed or the build or a check fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VM_LOG_PREFIX=build-arm64
# shellcheck source=vm/common.sh
source "$ROOT/scripts/vm/common.sh"

need_packages g++-aarch64-linux-gnu:aarch64-linux-gnu-g++ binutils-aarch64-linux-gnu:aarch64-linux-gnu-readelf \
  file:file make:make python3:python3

out="$ROOT/build-arm64"
src="$out/src"
rm -rf "$src"
mkdir -p "$src" "$out/Release"
cp -r "$ROOT/binding.gyp" "$ROOT/native" "$src/"
# binding.gyp asks `node -p "require('node-addon-api')..."` from its own directory.
ln -s "$ROOT/node_modules" "$src/node_modules"

# The host's Node headers: npm's nodedir setting (what `npm ci` builds with), else the
# distribution's /usr/include/node; without either, node-gyp downloads them.
nodedir=$(cd "$ROOT" && npm config get nodedir 2>/dev/null || true)
case "$nodedir" in ''|undefined|null) nodedir="" ;; esac
[ -n "$nodedir" ] || { [ -f /usr/include/node/node_api.h ] && nodedir=/usr; } || true
gyp_args=(rebuild --arch=arm64 --jobs="$(nproc)")
[ -z "$nodedir" ] || gyp_args+=(--nodedir="$nodedir")

start=$SECONDS
(
  cd "$src"
  export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
  export CC_host=gcc CXX_host=g++
  "$ROOT/node_modules/.bin/node-gyp" "${gyp_args[@]}" >"$out/build.log" 2>&1
) || { tail -n 30 "$out/build.log" >&2; die "node-gyp --arch=arm64 failed (log: $out/build.log)"; }
addon="$out/Release/struct_ops.node"
# Copy then rename: a process that has the old file mapped keeps a valid mapping.
cp "$src/build/Release/struct_ops.node" "$addon.tmp.$$" && mv -f "$addon.tmp.$$" "$addon"

# Checks: machine, type, and no library beyond the C/C++ runtime.
header=$(aarch64-linux-gnu-readelf -h "$addon")
grep -q 'Machine: *AArch64' <<<"$header" || die "$addon is not an AArch64 ELF"
grep -q 'Type: *DYN' <<<"$header" || die "$addon is not a shared object"
needed=$(aarch64-linux-gnu-readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort | tr '\n' ' ')
for lib in $needed; do
  case "$lib" in
    libc.so.6|libm.so.6|libstdc++.so.6|libgcc_s.so.1) ;;
    *) die "$addon needs $lib (only libc, libm, libstdc++ and libgcc_s are allowed)" ;;
  esac
done
# glibc >= 2.28 must load it (as for linux-x64): no symbol version newer than GLIBC_2.28.
newest=$(aarch64-linux-gnu-readelf -W --dyn-syms "$addon" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
[ -n "$newest" ] || die "$addon: no GLIBC symbol versions found"
[ "$(printf '%s\n2.28\n' "$newest" | sort -V | tail -n1)" = "2.28" ] || die "$addon needs GLIBC_$newest; it must run on glibc 2.28"
log "$(file -b "$addon" | cut -d, -f1-2); needs: ${needed% }, GLIBC_$newest at most; built in $((SECONDS - start)) s"
echo "$addon"
