# shellcheck shell=bash
# Shared helpers of scripts/vm-test and scripts/build-arm64.sh (sourced, not run).
#
# Everything downloaded (Debian packages, apt indexes, extracted kernels, built initramfs)
# lives in VM_CACHE, outside the repository: $STRUCT_OPS_VM_CACHE, else
# $XDG_CACHE_HOME/struct-ops-vm, else /var/cache/struct-ops-vm (root) or ~/.cache/struct-ops-vm.

VM_LOG_PREFIX=${VM_LOG_PREFIX:-vm-test}

log() { printf '%s: %s\n' "$VM_LOG_PREFIX" "$*" >&2; }
die() { log "error: $*"; exit 1; }

vm_cache_dir() {
  if [ -n "${STRUCT_OPS_VM_CACHE:-}" ]; then echo "$STRUCT_OPS_VM_CACHE"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then echo "$XDG_CACHE_HOME/struct-ops-vm"
  elif [ "$(id -u)" = 0 ]; then echo /var/cache/struct-ops-vm
  else echo "$HOME/.cache/struct-ops-vm"
  fi
}

# Debian architecture name of a VM arch (x86_64|arm64).
deb_arch() {
  case "$1" in
    x86_64) echo amd64 ;;
    arm64) echo arm64 ;;
    *) die "unknown arch $1 (x86_64 or arm64)" ;;
  esac
}

# need_packages PKG...: installs the Debian packages whose marker command/file is missing.
# Arguments are "package:marker" pairs; a marker starting with / is a path, else a command.
need_packages() {
  local missing=() pair pkg marker
  for pair in "$@"; do
    pkg=${pair%%:*} marker=${pair#*:}
    if [ "${marker#/}" != "$marker" ]; then [ -e "$marker" ] && continue
    else command -v "$marker" >/dev/null 2>&1 && continue
    fi
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  } || die "apt-get install ${missing[*]} failed"
}

# A private apt state per Debian architecture and distribution under VM_CACHE/apt-REPO:
# the host's apt configuration and package lists stay untouched, and arm64 indexes work on
# an amd64 host. REPO is ARCH (bookworm, bookworm-updates, bookworm-security) or
# ARCH-trixie (trixie, trixie-updates, trixie-security and trixie-backports, the last
# preferred so that meta packages resolve to the backported kernel).
# Usage: papt REPO apt-get|apt-cache ARGS...
papt() {
  local repo=$1 tool=$2; shift 2
  local dir; dir="$(vm_cache_dir)/apt-$repo"
  local extra=()
  case "$repo" in *-trixie) extra=(-o "APT::Default-Release=trixie-backports") ;; esac
  "$tool" -o "APT::Architecture=${repo%%-*}" -o "APT::Architectures=${repo%%-*}" \
    -o "Dir::State=$dir/state" -o "Dir::State::status=$dir/state/status" \
    -o "Dir::Cache=$dir/cache" -o "Dir::Etc::SourceList=$dir/sources.list" \
    -o "Dir::Etc::SourceParts=$dir/sources.list.d" -o "Dir::Etc::Preferences=$dir/preferences" \
    -o "Dir::Etc::PreferencesParts=$dir/preferences.d" -o "Debug::NoLocking=1" \
    -o "APT::Sandbox::User=root" "${extra[@]}" "$@"
}

# papt_update REPO [max-age-seconds]: (re)creates the private state and refreshes its
# indexes when they are older than max-age (default a day) or missing.
papt_update() {
  local repo=$1 max_age=${2:-86400}
  local dir; dir="$(vm_cache_dir)/apt-$repo"
  mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/sources.list.d" "$dir/preferences.d"
  touch "$dir/state/status"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || need_packages debian-archive-keyring:$keyring
  local dist=bookworm
  case "$repo" in *-trixie) dist=trixie ;; esac
  {
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian $dist main"
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian $dist-updates main"
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian-security $dist-security main"
    [ "$dist" = trixie ] && echo "deb [signed-by=$keyring] http://deb.debian.org/debian $dist-backports main"
  } >"$dir/sources.list"
  local stamp="$dir/state/updated"
  if [ -f "$stamp" ] && [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) -lt "$max_age" ]; then return 0; fi
  log "apt-get update (private $repo indexes in $dir)"
  papt "$repo" apt-get update -qq >/dev/null 2>&1 || return 1
  touch "$stamp"
}

# deb_fetch REPO DESTDIR PKG...: downloads the .deb files (candidate versions) into DESTDIR,
# keeping files already there. Prints the paths of the .debs, one per line.
deb_fetch() {
  local arch=$1 dest=$2; shift 2
  mkdir -p "$dest"
  local pkg ver prefix missing=() files=()
  # One apt-cache call for all packages: "pkg version" per line.
  while read -r pkg ver; do
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || { log "no Debian package $pkg for $arch"; return 1; }
    prefix="$dest/${pkg}_${ver//:/%3a}_"
    compgen -G "$prefix*.deb" >/dev/null || missing+=("$pkg=$ver")
    files+=("$prefix")
  done < <(papt "$arch" apt-cache policy "$@" 2>/dev/null | awk '/^[^ ].*:$/ { p = substr($1, 1, length($1) - 1) } /^ *Candidate:/ { print p, $2 }')
  [ ${#files[@]} -eq $# ] || { log "apt-cache policy did not list all of: $*"; return 1; }
  if [ ${#missing[@]} -gt 0 ]; then
    (cd "$dest" && papt "$arch" apt-get download -qq "${missing[@]}" >/dev/null 2>&1) \
      || { log "apt-get download ${missing[*]} failed"; return 1; }
  fi
  for prefix in "${files[@]}"; do compgen -G "$prefix*.deb" | head -n 1; done
}
