#!/usr/bin/env bash
# Build the BPF struct_ops test fixtures in test/fixtures/bpf/.
#
#   1. test/fixtures/bpf/vmlinux.h  <- bpftool btf dump of the running kernel
#      (gitignored, regenerated on every run, never committed)
#   2. every test/fixtures/bpf/*.bpf.c -> *.bpf.o with a pinned clang-19
#      command line, then DWARF (.debug_*) stripped with llvm-objcopy-19
#      --strip-debug; .BTF and .BTF.ext are kept and checked.
#      The arena fixtures (CLANG22_FIXTURES) are built with clang-22 instead:
#      the verifier refuses the arena code clang-19 emits. Without clang-22 they
#      are skipped with a note and their committed .bpf.o stays as it is.
#
# Idempotent, runnable from any directory. Env overrides: CLANG, CLANG22,
# OBJCOPY, READELF, BPFTOOL, VMLINUX_BTF.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/test/fixtures/bpf"

CLANG="${CLANG:-clang-19}"
CLANG22="${CLANG22:-clang-22}"
# Fixtures (base names) that need clang-22: BPF arena code (__arena globals, addr_space_cast).
CLANG22_FIXTURES=(s11arena)
OBJCOPY="${OBJCOPY:-llvm-objcopy-19}"
READELF="${READELF:-llvm-readelf-19}"
BPFTOOL="${BPFTOOL:-bpftool}"
VMLINUX_BTF="${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}"

die() { echo "build-fixtures: error: $*" >&2; exit 1; }

for tool in "$CLANG" "$OBJCOPY" "$READELF" "$BPFTOOL"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH (install clang-19 / llvm-19 / bpftool)"
done
"$CLANG" --version | head -n1 | grep -q 'version 19\.' \
  || die "$CLANG is not clang 19: $("$CLANG" --version | head -n1)"
[ -r "$VMLINUX_BTF" ] || die "kernel BTF $VMLINUX_BTF not readable"

# 1. vmlinux.h (written to a temp file first so a failed dump never leaves a
#    truncated header behind)
tmp="$(mktemp "$FIX/.vmlinux.h.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
"$BPFTOOL" btf dump file "$VMLINUX_BTF" format c >"$tmp" || die "bpftool btf dump failed"
if [ -f "$FIX/vmlinux.h" ] && cmp -s "$tmp" "$FIX/vmlinux.h"; then
  rm -f "$tmp"
else
  mv -f "$tmp" "$FIX/vmlinux.h"
fi
trap - EXIT
echo "vmlinux.h: $(wc -l <"$FIX/vmlinux.h") lines"

# 2. compile
shopt -s nullglob
srcs=("$FIX"/*.bpf.c)
[ ${#srcs[@]} -gt 0 ] || die "no *.bpf.c in $FIX"

# Compile from the repo root with repo-relative paths so no absolute build
# directory ends up in the objects' BTF line info (reproducible output).
cd "$ROOT"
rel="test/fixtures/bpf"

# compile DIR BASE [CC]: DIR/BASE.bpf.c -> DIR/BASE.bpf.o (vmlinux.h from $rel)
compile() {
  local dir="$1" base="$2" cc="${3:-$CLANG}" out="$1/$2.bpf.o" sections
  "$cc" -g -O2 -target bpf -D__TARGET_ARCH_x86 -I "$rel" -c "$dir/$base.bpf.c" -o "$out.tmp" \
    || { rm -f "$out.tmp"; die "clang failed on $dir/$base.bpf.c"; }
  "$OBJCOPY" --strip-debug "$out.tmp" "$out" || { rm -f "$out.tmp"; die "strip failed on $out"; }
  rm -f "$out.tmp"
  sections="$("$READELF" -S -W "$out")"
  grep -q ' \.BTF ' <<<"$sections" || die "$out lost its .BTF section"
  grep -q ' \.BTF\.ext ' <<<"$sections" || die "$out lost its .BTF.ext section"
  if grep -q ' \.debug_' <<<"$sections"; then die "$out still has .debug_* sections"; fi
  echo "built $out ($(stat -c %s "$out") bytes)"
}

needs_clang22() {
  local f
  for f in "${CLANG22_FIXTURES[@]}"; do [ "$f" = "$1" ] && return 0; done
  return 1
}

for src in "${srcs[@]}"; do
  base="$(basename "$src" .bpf.c)"
  needs_clang22 "$base" || compile "$rel" "$base"
done

if command -v "$CLANG22" >/dev/null 2>&1 && "$CLANG22" --version | head -n1 | grep -q 'version 22\.'; then
  for base in "${CLANG22_FIXTURES[@]}"; do compile "$rel" "$base" "$CLANG22"; done
else
  echo "skipped ${CLANG22_FIXTURES[*]}: $CLANG22 (clang 22) not found; their committed .bpf.o are kept" >&2
fi

# The congestion controller shipped in the package for `struct-ops demo`.
compile lib/demo demo_cc

# Parser and CO-RE unit-test objects have their own small build scripts.
bash test/fixtures/elf/build.sh
bash test/fixtures/core/build.sh
