# shellcheck shell=bash
# Builds the VM's initramfs as three concatenated newc cpio archives (the kernel unpacks
# them in order): base (busybox, node, bpftool, iproute2, setpriv, strace and their libraries),
# app (the built project and its kernel tests) and kernel (modules and config of one
# kernel). Uncompressed on purpose: under TCG, unpacking gzip costs more than copying.
# Sourced after common.sh.

VM_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

triplet() {
  case "$1" in
    x86_64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
  esac
}

# elf_needed FILE: the sonames FILE needs (DT_NEEDED).
elf_needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
# elf_interp FILE: its program interpreter (empty for static binaries and libraries).
elf_interp() { readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p'; }

# install_elf SYSROOT TRIPLET SRC ROOT DEST: copies SRC to ROOT/DEST, then every library it
# needs, recursively, from SYSROOT's library directories to ROOT/lib/TRIPLET, and the
# program interpreter to the same path under ROOT.
install_elf() {
  local sysroot=$1 trip=$2 src=$3 root=$4 dest=$5
  mkdir -p "$root/$(dirname "$dest")"
  cp -L "$src" "$root/$dest"
  chmod 755 "$root/$dest"
  local interp; interp=$(elf_interp "$src")
  if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    mkdir -p "$root$(dirname "$interp")"
    cp -L "$sysroot$interp" "$root$interp"
  fi
  local soname dir found
  for soname in $(elf_needed "$src"); do
    [ -e "$root/lib/$trip/$soname" ] && continue
    found=""
    for dir in "lib/$trip" "usr/lib/$trip" lib usr/lib lib64; do
      if [ -e "$sysroot/$dir/$soname" ]; then found="$sysroot/$dir/$soname"; break; fi
    done
    [ -n "$found" ] || die "$src needs $soname, not found in $sysroot"
    install_elf "$sysroot" "$trip" "$found" "$root" "lib/$trip/$soname"
  done
}

# strip_copy FILE: drops debug info in place when a strip for FILE's machine exists
# (Node's own binary carries ~50 MB of it).
strip_copy() {
  local s
  for s in llvm-strip-19 llvm-strip; do
    if command -v "$s" >/dev/null 2>&1; then "$s" --strip-debug "$1" 2>/dev/null && return 0; fi
  done
  [ "$(uname -m)" = x86_64 ] && readelf -h "$1" | grep -q 'X86-64' && strip --strip-debug "$1" 2>/dev/null
  return 0
}

# make_cpio DIR FILE: newc archive of DIR, owned by root.
make_cpio() {
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
}

# stage_base ARCH SYSROOT NODE OUT: the base root filesystem. SYSROOT holds the tools
# (/ on x86_64, extracted Debian packages for arm64); NODE is the node binary to run.
stage_base() {
  local arch=$1 sysroot=$2 node=$3 out=$4
  local trip; trip=$(triplet "$arch")
  rm -rf "$out"
  mkdir -p "$out"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,mnt,var,lib/modules,boot}
  ln -s ../run "$out/var/run"
  cp "$sysroot/bin/busybox" "$out/bin/busybox"
  install_elf "$sysroot" "$trip" "$node" "$out" usr/local/bin/node
  strip_copy "$out/usr/local/bin/node"
  local tool dir src
  # strace: the one-syscall-per-operation test counts bpf() calls with `strace -c`;
  # prlimit: the EMFILE test of rules-unregister-races lowers and restores RLIMIT_NOFILE.
  for tool in bpftool ip tc setpriv strace prlimit; do
    src=""
    # A regular file, not a symlink: links in SYSROOT may point at host paths.
    for dir in usr/sbin usr/bin sbin bin; do
      if [ -f "$sysroot/$dir/$tool" ] && [ ! -L "$sysroot/$dir/$tool" ]; then src="$sysroot/$dir/$tool"; break; fi
    done
    [ -n "$src" ] || die "$tool not found in $sysroot"
    install_elf "$sysroot" "$trip" "$src" "$out" "usr/local/bin/$tool"
  done
  install -m 755 "$VM_SCRIPTS/init" "$out/init"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$out/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$out/etc/group"
  printf '127.0.0.1 localhost vmtest\n::1 localhost\n' >"$out/etc/hosts"
  chmod 1777 "$out/tmp"
}

# stage_app REPO ADDON OUT: the project as the VM runs it, under OUT/app: lib/ and test/
# compiled to JavaScript (so the VM needs neither TypeScript nor ts-jest), dist/, the
# addon, fixtures, and node_modules without the build-time-only packages.
stage_app() {
  local repo=$1 addon=$2 out=$3
  local app="$out/app"
  rm -rf "$out"
  mkdir -p "$app/build/Release" "$app/vm"
  # --noCheck: the host test run type-checks; here we only need the JavaScript.
  local tsc="$repo/node_modules/.bin/tsc"
  [ -x "$tsc" ] || die "node_modules/.bin/tsc is missing (npm ci)"
  (cd "$repo" && "$tsc" -p tsconfig.json --outDir "$app" --noEmit false --noCheck \
    --declaration false --sourceMap false --incremental false) || die "tsc (lib + test) failed"
  (cd "$repo" && "$tsc" -p tsconfig.build.json --outDir "$app/dist" --noCheck \
    --declaration false --sourceMap false --incremental false) || die "tsc (dist) failed"
  # The same esbuild bundles as `npm run build:ts` (the CLI and child-process tests need them).
  (cd "$repo" && node scripts/build-bundles.js --outdir "$app/dist") || die "scripts/build-bundles.js failed"
  [ -d "$app/test/kernel" ] || die "tsc produced no test/kernel in $app"
  cp "$addon" "$app/build/Release/struct_ops.node"
  local d
  for d in test lib; do
    (cd "$repo/$d" && find . -type f ! -name '*.ts' -print0 | cpio -pdm0 --quiet "$app/$d")
  done
  cp "$repo/package.json" "$app/"
  # typescript stays: a kernel test's child process transpiles with it.
  tar -C "$repo" -cf - --exclude=node_modules/ts-jest --exclude=node_modules/@types --exclude=node_modules/node-gyp --exclude=node_modules/node-addon-api \
    --exclude=node_modules/.cache node_modules | tar -C "$app" -xf -
  cp "$VM_SCRIPTS/run-tests.js" "$VM_SCRIPTS/jest.config.js" "$app/vm/"
  chmod -R a+rX "$out"
}

# stage_kernel KDIR RELEASE TESTS FAMILIES OUT: modules, config and the run's settings for
# one kernel (FAMILIES: what the matrix entry promises, see kernels.sh).
stage_kernel() {
  local kdir=$1 release=$2 tests=$3 families=$4 out=$5
  rm -rf "$out"
  mkdir -p "$out/lib/modules" "$out/boot" "$out/etc"
  cp -r "$kdir/lib/modules/$release" "$out/lib/modules/"
  # The library reads /boot/config-$(uname -r) when /proc/config.gz does not exist (Debian).
  cp "$kdir/config" "$out/boot/config-$release"
  printf 'VMTEST_TESTS=%q\nSTRUCT_OPS_VM_FAMILIES=%q\n' "$tests" "${families#-}" >"$out/etc/vmtest.conf"
}
