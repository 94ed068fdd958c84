# shellcheck shell=bash
# Kernel matrix of scripts/vm-test: which Debian kernels to boot, fetched from Debian's
# archive at test time into VM_CACHE/kernels/ARCH/RELEASE (never into the repository).
# Sourced after common.sh.

# Modules the kernel tests need that Debian builds as modules (insmod'ed by the VM's init in
# dependency order): sch_tbf for the lossy-loopback traffic of the cubic tests, everywhere;
# on kernels that promise HID-BPF, hid, uhid (virtual devices from /dev/uhid) and hid-generic
# (the driver that binds them and creates /dev/hidrawN).
VM_MODULES=(sch_tbf)
VM_MODULES_HID=(hid uhid hid-generic)

# kernel_matrix ARCH: one "LABEL META-PACKAGE REPO FAMILIES" per line (REPO: the private apt
# of common.sh; FAMILIES: the struct_ops families the entry promises, comma separated, or -).
# The meta package depends on the newest image of that series, so the matrix follows
# Debian's point releases:
#   6.1  - bookworm's own kernel: BTF and tcp_congestion_ops struct_ops, no struct_ops
#          links (6.4), no module struct_ops types (6.9)
#   6.12 - the newest series Debian ships for bookworm (bookworm-security, built for
#          bookworm): links, BPF_F_VTYPE_BTF_OBJ_FD. The host itself covers 6.18.
#   7.3  - trixie-backports, generic flavour (the cloud flavour lacks sched_ext, HID and the
#          BPF qdisc): every family: sched_ext_ops, Qdisc_ops, hid_bpf_ops, and a
#          struct_ops type of our own test module (test/kmod).
# With STRUCT_OPS_REQUIRE_KERNEL=1 (the VM's init sets it) a family test the entry promises
# fails instead of skipping when the kernel lacks the family (STRUCT_OPS_VM_FAMILIES).
kernel_matrix() {
  local d; d=$(deb_arch "$1")
  echo "6.1 linux-image-cloud-$d $d -"
  echo "6.12 linux-image-6.12-cloud-$d $d -"
  # test/kmod is built for x86-64 only (scripts/vm/kmod.sh): arm64 promises the rest.
  if [ "$d" = amd64 ]; then
    echo "7.3 linux-image-$d $d-trixie sched_ext_ops,Qdisc_ops,hid_bpf_ops,module"
  else
    echo "7.3 linux-image-$d $d-trixie sched_ext_ops,Qdisc_ops,hid_bpf_ops"
  fi
}

# kernel_labels ARCH: the labels of the matrix, space separated.
kernel_labels() { kernel_matrix "$1" | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//'; }

# kernel_modules FAMILIES: the modules (of the kernel's own) a matrix entry's VM loads.
kernel_modules() {
  echo "${VM_MODULES[@]}"
  case ",$1," in *,hid_bpf_ops,*) echo "${VM_MODULES_HID[@]}" ;; esac
}

# kernel_fetch ARCH LABEL META REPO FAMILIES: makes sure the newest kernel of the series is
# extracted under VM_CACHE/kernels/ARCH/RELEASE (vmlinuz, config, lib/modules/RELEASE with
# only the modules the entry needs, decompressed, and their load-order) and prints that
# directory. Offline, it falls back to the last release fetched for LABEL.
kernel_fetch() {
  local arch=$1 label=$2 meta=$3 repo=$4 families=$5
  local cache; cache=$(vm_cache_dir)
  local base="$cache/kernels/$arch" image="" release="" pkgs=() debs
  mkdir -p "$base"
  image=$(papt "$repo" apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
  if [ -n "$image" ]; then
    release=${image#linux-image-}
    pkgs=($(kernel_packages "$repo" "$release"))
  fi
  if [ -n "$release" ] && [ ! -f "$base/$release/.complete" ]; then
    log "kernel $label: fetching ${pkgs[*]}"
    if debs=$(deb_fetch "$repo" "$cache/debs" "${pkgs[@]}"); then
      # shellcheck disable=SC2086 # one path per line, no spaces
      kernel_extract "$release" "$base/$release" "$(kernel_modules "$families")" $debs || { rm -rf "$base/$release"; release=""; }
      rm -f $debs # the extracted tree is what we keep
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

# kernel_packages REPO RELEASE: the packages holding the kernel image, its modules and its
# config. Up to 6.12 Debian ships one linux-image-RELEASE (-unsigned: the same kernel
# without the EFI signature wrapper); from 7.x the image is split into linux-binary-RELEASE
# (vmlinuz), linux-modules-RELEASE and linux-base-RELEASE (config, modules.builtin).
kernel_packages() {
  local repo=$1 release=$2 p
  if papt "$repo" apt-cache show "linux-binary-$release" >/dev/null 2>&1; then
    p="linux-binary-unsigned-$release"
    papt "$repo" apt-cache show "$p" >/dev/null 2>&1 || p="linux-binary-$release"
    echo "$p linux-modules-$release linux-base-$release"
    return
  fi
  p="linux-image-$release-unsigned"
  papt "$repo" apt-cache show "$p" >/dev/null 2>&1 || p="linux-image-$release"
  echo "$p"
}

# kernel_extract RELEASE DEST MODULES DEB...: unpacks the kernel image, config and the
# modules named in MODULES (with their dependencies) from the DEBs.
kernel_extract() {
  local release=$1 dest=$2 modules=$3; shift 3
  local tmp; tmp=$(mktemp -d)
  local deb
  for deb in "$@"; do dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; return 1; }; done
  rm -rf "$dest"
  mkdir -p "$dest/lib/modules/$release"
  local f
  for f in "$tmp/boot/vmlinuz-$release" "$tmp/usr/lib/modules/$release/vmlinuz.unsigned" "$tmp/usr/lib/modules/$release/vmlinuz" ""; do
    [ -n "$f" ] || { log "no vmlinuz in $*"; rm -rf "$tmp"; return 1; }
    [ -f "$f" ] && { mv "$f" "$dest/vmlinuz"; break; }
  done
  for f in "$tmp/boot/config-$release" "$tmp/usr/lib/modules/$release/config" ""; do
    [ -n "$f" ] || { log "no config in $*"; rm -rf "$tmp"; return 1; }
    [ -f "$f" ] && { mv "$f" "$dest/config"; break; }
  done
  local mods="$tmp/lib/modules/$release" m
  [ -d "$mods" ] || mods="$tmp/usr/lib/modules/$release"
  local order=()
  for m in $modules; do module_closure "$mods" "$m" order; done
  : >"$dest/lib/modules/$release/load-order"
  for m in "${order[@]}"; do
    ko_cat "$(module_file "$mods" "$m")" >"$dest/lib/modules/$release/$m.ko"
    echo "$m" >>"$dest/lib/modules/$release/load-order"
  done
  rm -rf "$tmp"
  touch "$dest/.complete"
}

# module_file MODDIR NAME: the file of module NAME (module names spell - and _ alike).
module_file() {
  local re=${2//[-_]/[-_]}
  find "$1/kernel" -regextype posix-basic -regex ".*/$re\.ko\(\.[a-z]*\)\{0,1\}" | head -n 1
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
  f=$(module_file "$dir" "$name")
  if [ -z "$f" ]; then
    grep -q "/${name//_/[_-]}\.ko\$" "$dir/modules.builtin" 2>/dev/null && return 0
    die "module $name is neither built in nor in $dir"
  fi
  for dep in $(ko_cat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
    module_closure "$dir" "$dep" "$3"
  done
  acc+=("$name")
}
