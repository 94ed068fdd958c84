#!/usr/bin/env bash
# Fetches the newest libbpf and bpftool Debian ships, for scripts/bench.sh to compare against:
# sid's libbpf-dev (ships libbpf.a: the C harness links it statically) and trixie-backports'
# bpftool. Uses a private apt state under VM_CACHE/apt-bench (see scripts/vm/common.sh), so
# the host's apt configuration and package lists stay untouched, and `dpkg -x` (nothing is
# installed). Prints "libbpf_dir=DIR" and "bpftool=PATH" lines (empty when unavailable).
#
#   scripts/bench/fetch-newest.sh [DEST]   (DEST default scripts/bench/build/newest)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VM_LOG_PREFIX=bench
# shellcheck source=../vm/common.sh
source "$ROOT/scripts/vm/common.sh"
DEST="${1:-$ROOT/scripts/bench/build/newest}"
ARCH=amd64
APT_DIR="$(vm_cache_dir)/apt-bench"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Same private-state layout as papt(), in its own directory with its own sources.
bapt() {
  local tool=$1; shift
  "$tool" -o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH" \
    -o "Dir::State=$APT_DIR/state" -o "Dir::State::status=$APT_DIR/state/status" \
    -o "Dir::Cache=$APT_DIR/cache" -o "Dir::Etc::SourceList=$APT_DIR/sources.list" \
    -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d" -o "Dir::Etc::Preferences=$APT_DIR/preferences" \
    -o "Dir::Etc::PreferencesParts=$APT_DIR/preferences.d" -o "Debug::NoLocking=1" \
    -o "APT::Sandbox::User=root" "$@"
}

mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/sources.list.d" "$APT_DIR/preferences.d" "$DEST"
touch "$APT_DIR/state/status"
cat >"$APT_DIR/sources.list" <<SRC
deb [signed-by=$KEYRING] http://deb.debian.org/debian sid main
deb [signed-by=$KEYRING] http://deb.debian.org/debian trixie-backports main
SRC
stamp="$APT_DIR/state/updated"
if ! [ -f "$stamp" ] || [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) -gt 86400 ]; then
  log "apt-get update (private indexes in $APT_DIR: sid, trixie-backports)"
  bapt apt-get update -qq >/dev/null 2>&1 || die "apt-get update of the private state failed"
  touch "$stamp"
fi

# fetch PKG RELEASE: downloads the newest PKG of RELEASE into DEST (kept across runs),
# extracts it into DEST/PKG-VERSION, prints that directory.
fetch() {
  local pkg=$1 rel=$2 ver deb dir
  ver="$(bapt apt-cache madison "$pkg" 2>/dev/null | awk -v r="$rel" '$0 ~ r"/main" { print $3; exit }')"
  [ -n "$ver" ] || { log "no $pkg in $rel"; return 1; }
  dir="$DEST/$pkg-$ver"
  if ! [ -f "$dir/.done" ]; then
    (cd "$DEST" && bapt apt-get download -qq "$pkg/$rel" >/dev/null 2>&1) || { log "apt-get download $pkg/$rel failed"; return 1; }
    deb="$(compgen -G "$DEST/${pkg}_${ver//:/%3a}_*.deb" | head -n 1)"
    rm -rf "$dir" && mkdir -p "$dir" && dpkg -x "$deb" "$dir" && touch "$dir/.done"
  fi
  echo "$dir"
}

libbpf_dir="$(fetch libbpf-dev sid || true)"
bpftool_dir="$(fetch bpftool trixie-backports || true)"
echo "libbpf_dir=$libbpf_dir"
bt=""
if [ -n "$bpftool_dir" ]; then
  for c in "$bpftool_dir/usr/sbin/bpftool" "$bpftool_dir/usr/bin/bpftool"; do [ -x "$c" ] && bt="$c"; done
fi
echo "bpftool=$bt"
