#!/usr/bin/env bash
# Builds the struct_ops family fixtures in test/fixtures/bpf/families/ (sched_ext, BPF
# qdisc, HID-BPF, our test module's type) against the BTF of Debian's 7.3 kernel, the
# matrix entry of scripts/vm-test that runs them:
#   1. test/fixtures/bpf/families/vmlinux.h <- bpftool btf dump of linux-headers-RELEASE's
#      vmlinux (fetched into the VM cache by scripts/vm/kmod.sh; gitignored, never committed)
#   2. every families/*.bpf.c -> *.bpf.o with clang-19, DWARF stripped (.BTF, .BTF.ext kept)
# Env: VMLINUX_BTF (a file with the kernel BTF, skips the fetch), CLANG, OBJCOPY, READELF,
# BPFTOOL, KERNEL_RELEASE (default: the 7.3 entry's release as Debian resolves it now).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REL_DIR="test/fixtures/bpf/families"
FIX="$ROOT/$REL_DIR"
CLANG="${CLANG:-clang-19}"
OBJCOPY="${OBJCOPY:-llvm-objcopy-19}"
READELF="${READELF:-llvm-readelf-19}"
BPFTOOL="${BPFTOOL:-bpftool}"

die() { echo "build-family-fixtures: error: $*" >&2; exit 1; }
for tool in "$CLANG" "$OBJCOPY" "$READELF" "$BPFTOOL"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH"
done

if [ -z "${VMLINUX_BTF:-}" ]; then
  VM_LOG_PREFIX=build-family-fixtures
  # shellcheck source=vm/common.sh
  source "$ROOT/scripts/vm/common.sh"
  # shellcheck source=vm/kernels.sh
  source "$ROOT/scripts/vm/kernels.sh"
  # shellcheck source=vm/kmod.sh
  source "$ROOT/scripts/vm/kmod.sh"
  repo=amd64-trixie
  papt_update "$repo" || die "apt-get update ($repo) failed"
  release=${KERNEL_RELEASE:-$(papt "$repo" apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([^ ]*\)$/\1/p' | head -n 1)}
  [ -n "$release" ] || die "cannot resolve the 7.3 kernel release"
  toolchain=$(kmod_toolchain "$repo" "$release") || die "cannot fetch linux-headers-$release"
  VMLINUX_BTF="$toolchain/usr/src/linux-headers-$release/vmlinux"
fi
[ -r "$VMLINUX_BTF" ] || die "kernel BTF $VMLINUX_BTF not readable"

tmp="$(mktemp "$FIX/.vmlinux.h.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
"$BPFTOOL" btf dump file "$VMLINUX_BTF" format c >"$tmp" || die "bpftool btf dump failed"
mv -f "$tmp" "$FIX/vmlinux.h"
trap - EXIT
echo "vmlinux.h: $(wc -l <"$FIX/vmlinux.h") lines from $VMLINUX_BTF"

cd "$ROOT"
for src in "$REL_DIR"/*.bpf.c; do
  out="${src%.c}.o"
  "$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wno-missing-declarations -I "$REL_DIR" -c "$src" -o "$out.tmp" \
    || { rm -f "$out.tmp"; die "clang failed on $src"; }
  "$OBJCOPY" --strip-debug "$out.tmp" "$out" || { rm -f "$out.tmp"; die "strip failed on $out"; }
  rm -f "$out.tmp"
  sections="$("$READELF" -S -W "$out")"
  grep -q ' \.BTF ' <<<"$sections" || die "$out lost its .BTF section"
  grep -q ' \.BTF\.ext ' <<<"$sections" || die "$out lost its .BTF.ext section"
  echo "built $out ($(stat -c %s "$out") bytes)"
done
