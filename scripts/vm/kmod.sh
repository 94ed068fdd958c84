# shellcheck shell=bash
# Builds test/kmod (a module registering a struct_ops type of its own) against Debian's
# headers of one kernel release, for the VM entries that promise the "module" family
# (scripts/vm/kernels.sh). Sourced after common.sh.
#
# Debian builds 7.x with trixie's gcc-14 and ships its Kbuild helpers (fixdep, modpost,
# objtool, resolve_btfids) linked against trixie's glibc 2.38+; the CI host is bookworm
# (glibc 2.36, gcc-12). So the toolchain is assembled in VM_CACHE/kbuild/RELEASE:
#   - linux-headers-RELEASE, linux-headers-*-common and linux-kbuild-* extracted there;
#   - trixie's libc6, libelf1t64, zlib1g, libzstd1 and libssl3t64 beside them, and every
#     Kbuild ELF helper replaced by a script that runs it with that libc's loader;
#   - gcc-12 behind a script that turns gcc-14's -fmin-function-alignment=N into
#     -falign-functions=N (the one option of the kernel's flags gcc-12 lacks);
#   - pahole from the host's dwarves (1.24, with the flags it knows: the kernel's own
#     PAHOLE_FLAGS are for pahole 1.30); the module's BTF is split BTF over vmlinux.

KMOD_LIBS=(libc6 libelf1t64 zlib1g libzstd1 libssl3t64)

# kmod_toolchain REPO RELEASE: prints the toolchain root (built once per release).
kmod_toolchain() {
  local repo=$1 release=$2
  local cache; cache=$(vm_cache_dir)
  local root="$cache/kbuild/$release"
  if [ -f "$root/.complete" ]; then echo "$root"; return 0; fi
  need_packages dwarves:pahole make:make gcc:gcc >&2 || return 1
  local kbuild
  kbuild=$(papt "$repo" apt-cache depends "linux-headers-$release" 2>/dev/null | sed -n 's/^ *Depends: \(linux-kbuild-[^ ]*\)$/\1/p' | head -n 1)
  local common
  common=$(papt "$repo" apt-cache depends "linux-headers-$release" 2>/dev/null | sed -n 's/^ *Depends: \(linux-headers-[^ ]*-common[^ ]*\)$/\1/p' | head -n 1)
  [ -n "$kbuild" ] && [ -n "$common" ] || { log "no linux-headers-$release (or its kbuild/common) in $repo"; return 1; }
  local debs deb
  debs=$(deb_fetch "$repo" "$cache/debs" "linux-headers-$release" "$common" "$kbuild" "${KMOD_LIBS[@]}") || return 1
  rm -rf "$root"
  mkdir -p "$root/sysroot" "$root/bin"
  for deb in $debs; do
    case "$(basename "$deb")" in
      linux-*) dpkg-deb -x "$deb" "$root" ;;
      *) dpkg-deb -x "$deb" "$root/sysroot" ;;
    esac || return 1
  done
  local loader="$root/sysroot/usr/lib64/ld-linux-x86-64.so.2"
  [ -e "$loader" ] || loader="$root/sysroot/lib64/ld-linux-x86-64.so.2"
  [ -e "$loader" ] || { log "no trixie loader in $root/sysroot"; return 1; }
  local libpath="$root/sysroot/usr/lib/x86_64-linux-gnu:$root/sysroot/lib/x86_64-linux-gnu"
  local f
  while read -r f; do
    head -c 4 "$f" | grep -q 'ELF' || continue
    mv "$f" "$f.elf"
    # Debian's objtool and modpost are multiplexers that exec "$0.real-*": keep $0 ours.
    printf '#!/bin/sh\nexec %q --library-path %q --argv0 "$0" "$0.elf" "$@"\n' "$loader" "$libpath" >"$f"
    chmod 755 "$f"
  done < <(find "$root/usr/lib/$kbuild" -type f -perm -u+x)
  cat >"$root/bin/gcc" <<'GCC'
#!/bin/sh
# gcc-12 in place of Debian's gcc-14 for out-of-tree modules (see scripts/vm/kmod.sh)
for a in "$@"; do
  case "$a" in
    -fmin-function-alignment=*) set -- "$@" "-falign-functions=${a#*=}" ;;
    *) set -- "$@" "$a" ;;
  esac
  shift
done
exec gcc "$@"
GCC
  chmod 755 "$root/bin/gcc"
  touch "$root/.complete"
  echo "$root"
}

# kmod_build REPO_DIR ARCH APT_REPO RELEASE OUTDIR: builds test/kmod into OUTDIR, prints the .ko.
kmod_build() {
  local src=$1/test/kmod arch=$2 repo=$3 release=$4 out=$5
  [ "$arch" = x86_64 ] || { log "test/kmod: only built for x86_64"; return 1; }
  local root; root=$(kmod_toolchain "$repo" "$release") || return 1
  local hdr="$root/usr/src/linux-headers-$release"
  local common; common=$(readlink -f "$root/usr/lib/modules/$release/source" 2>/dev/null || true)
  [ -d "$common" ] || common=$(find "$root/usr/src" -maxdepth 1 -name 'linux-headers-*-common' | head -n 1)
  rm -rf "$out"
  mkdir -p "$out"
  cp "$src"/*.c "$src/Kbuild" "$out/"
  make -s -C "$common" O="$hdr" ARCH=x86 KERNELRELEASE="$release" CROSS_COMPILE= \
    CC="$root/bin/gcc" HOSTCC=gcc PAHOLE_FLAGS="--btf_gen_floats -j" M="$out" modules >"$out/build.log" 2>&1 \
    || { log "test/kmod build failed:"; tail -n 20 "$out/build.log" >&2; return 1; }
  echo "$out/structops_kmod.ko"
}

# kmod_stage REPO_DIR ARCH APT_REPO RELEASE KERNEL_STAGE: puts the built module at
# lib/modules/RELEASE/extra/structops_kmod.ko of the VM's kernel archive (the test insmods it).
kmod_stage() {
  local ko
  ko=$(kmod_build "$1" "$2" "$3" "$4" "$5.kmod") || return 1
  mkdir -p "$5/lib/modules/$4/extra"
  cp "$ko" "$5/lib/modules/$4/extra/"
  log "test/kmod built for $4 ($(stat -c %s "$ko") bytes)"
}
