# shellcheck shell=bash
# Kernel matrix of scripts/vm-test: which Debian kernels to boot, fetched from Debian's
# archive at test time into VM_CACHE/kernels/ARCH/RELEASE (never into the repository).
# Sourced after common.sh.

# Modules the kernel tests need that Debian builds as modules (insmod'ed by the VM's init):
# sch_tbf for the lossy-loopback traffic of the cubic tests.
VM_MODULES=(sch_tbf)

# kernel_matrix ARCH: one "LABEL META-PACKAGE" per line. The meta package depends on the
# newest image of that series, so the matrix follows Debian's point releases:
#   6.1  - bookworm's own kernel: BTF and tcp_congestion_ops struct_ops, no struct_ops
#          links (6.4), no module struct_ops types (6.9)
#   6.12 - the newest series Debian ships for bookworm (bookworm-security, built for
#          bookworm): links, BPF_F_VTYPE_BTF_OBJ_FD. The host itself covers 6.18.
kernel_matrix() {
  local d; d=$(deb_arch "$1")
  echo "6.1 linux-image-cloud-$d"
  echo "6.12 linux-image-6.12-cloud-$d"
}

# kernel_fetch ARCH LABEL META: makes sure the newest kernel of the series is extracted
# under VM_CACHE/kernels/ARCH/RELEASE (vmlinuz, config, lib/modules/RELEASE with only the
# modules of VM_MODULES, decompressed) and prints that directory. Offline, it falls back to
# the last release fetched for LABEL.
kernel_fetch() {
  local arch=$1 label=$2 meta=$3
  local darch; darch=$(deb_arch "$arch")
  local cache; cache=$(vm_cache_dir)
  local base="$cache/kernels/$arch" image="" release="" pkg deb
  mkdir -p "$base"
  image=$(papt "$darch" apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
  if [ -n "$image" ]; then
    release=${image#linux-image-}
    # The -unsigned package holds the same kernel without the EFI signature wrapper.
    pkg="$image-unsigned"
    papt "$darch" apt-cache show "$pkg" >/dev/null 2>&1 || pkg=$image
  fi
  if [ -n "$release" ] && [ ! -f "$base/$release/.complete" ]; then
    log "kernel $label: fetching $pkg"
    if deb=$(deb_fetch "$darch" "$cache/debs" "$pkg"); then
      kernel_extract "$deb" "$release" "$base/$release" || { rm -rf "$base/$release"; release=""; }
      rm -f "$deb" # the extracted tree is what we keep
    else
      release=""
    fi
  fi
  if [ -z "$release" ] || [ ! -f "$base/$release/.complete" ]; then
    release=$(cat "$base/$label.release" 2>/dev/null || true)
    [ -n "$release" ] && [ -f "$base/$release/.complete" ] || { log "kernel $label: not available for $arch"; return 1; }
    log "kernel $label: Debian archive unreachable, using cached $release"
  fi
  # Drop older releases of the same series.
  local old; old=$(cat "$base/$label.release" 2>/dev/null || true)
  [ -n "$old" ] && [ "$old" != "$release" ] && rm -rf "${base:?}/$old"
  echo "$release" >"$base/$label.release"
  echo "$base/$release"
}

# kernel_extract DEB RELEASE DEST: unpacks the kernel image, config and needed modules.
kernel_extract() {
  local deb=$1 release=$2 dest=$3
  local tmp; tmp=$(mktemp -d)
  dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; return 1; }
  rm -rf "$dest"
  mkdir -p "$dest/lib/modules/$release"
  mv "$tmp/boot/vmlinuz-$release" "$dest/vmlinuz"
  mv "$tmp/boot/config-$release" "$dest/config"
  local mods="$tmp/lib/modules/$release" m
  [ -d "$mods" ] || mods="$tmp/usr/lib/modules/$release"
  local order=()
  for m in "${VM_MODULES[@]}"; do module_closure "$mods" "$m" order; done
  : >"$dest/lib/modules/$release/load-order"
  for m in "${order[@]}"; do
    ko_cat "$(find "$mods/kernel" -name "$m.ko*" | head -n 1)" >"$dest/lib/modules/$release/$m.ko"
    echo "$m" >>"$dest/lib/modules/$release/load-order"
  done
  rm -rf "$tmp"
  touch "$dest/.complete"
}

# ko_cat FILE: a module's bytes, decompressed (Debian 6.12 ships .ko.xz).
ko_cat() {
  case "$1" in
    *.xz) xz -dc "$1" ;;
    *.zst) zstd -qdc "$1" ;;
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}

# module_closure MODDIR NAME ARRAY: appends NAME's dependencies, then NAME, to ARRAY (once).
# Built-in modules (modules.builtin) need nothing.
module_closure() {
  local dir=$1 name=$2
  local -n acc=$3
  local x dep f
  for x in "${acc[@]}"; do [ "$x" = "$name" ] && return 0; done
  f=$(find "$dir/kernel" -name "$name.ko*" | head -n 1)
  if [ -z "$f" ]; then
    grep -q "/${name//_/[_-]}\.ko\$" "$dir/modules.builtin" 2>/dev/null && return 0
    die "module $name is neither built in nor in $dir"
  fi
  for dep in $(ko_cat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
    module_closure "$dir" "$dep" "$3"
  done
  acc+=("$name")
}
