'use strict';
/**
 * The test run leaves /sys/fs/bpf as it found it. Pinning mounts a BPF filesystem there
 * when there is none (the CLI and bpftool both do), and the kernel's bpf_preload then puts
 * maps.debug and progs.debug in it: a machine booted without the mount must end the run
 * without it. Jest's globalSetup records the state, globalTeardown restores it once every
 * test file has run (files run one at a time, maxWorkers 1), so no file needs its own undo.
 */
const { execFileSync } = require('node:child_process');
const { readdirSync, readFileSync } = require('node:fs');

const ROOT = '/sys/fs/bpf';
// Entries the kernel's bpf_preload puts in every fresh bpffs mount.
const PRELOAD_ENTRIES = new Set(['maps.debug', 'progs.debug']);

function bpffsMounted() {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => {
      const [, dir, type] = l.split(' ');
      return dir === ROOT && type === 'bpf';
    });
  } catch {
    return false;
  }
}

/** Unmounts the bpffs the run mounted, when nothing but bpf_preload's entries is left in it. */
function restoreBpffs(wasMounted) {
  if (wasMounted || !bpffsMounted()) return;
  const left = readdirSync(ROOT).filter((e) => !PRELOAD_ENTRIES.has(e));
  if (left.length > 0) {
    console.error(`bpffs-state: ${ROOT} was mounted by the run and still holds ${left.join(', ')}; left mounted`);
    return;
  }
  // A plain environment: the sanitizer job preloads ASan into Jest, not into umount.
  execFileSync('umount', [ROOT], { env: { PATH: process.env.PATH } });
}

module.exports = { bpffsMounted, restoreBpffs };
