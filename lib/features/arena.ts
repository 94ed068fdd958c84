// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Feature probe: does the running kernel have BPF arenas (BPF_MAP_TYPE_ARENA, Linux 6.9,
 * "bpf: Introduce bpf_arena")? The probe creates a one-page arena and closes it at once.
 * A kernel without the map type refuses it with EINVAL (unknown type); one whose JIT cannot
 * run arena code (bpf_jit_supports_arena) with EOPNOTSUPP.
 */
import { BpfError, isBpfError } from '../errors';
import { BPF_F_MMAPABLE, BpfMapType, kernelRelease, mapCreate } from '../sys';
import { cachedProbe, type FeatureProbe } from './probe';

/** First kernel release with BPF arenas. */
export const ARENA_MIN_KERNEL = '6.9';

/** The hint every "no arenas" error carries. */
export const ARENA_HINT = 'BPF_MAP_TYPE_ARENA needs Linux 6.9 or newer with a JIT that supports arenas (x86-64, arm64)';

/** Decides support from the probe's outcome (exported for unit tests). */
export function decideArena(outcome: 'created' | string): boolean {
  if (outcome === 'created') return true;
  if (outcome === 'EINVAL' || outcome === 'EOPNOTSUPP') return false;
  throw new Error(`unexpected ${outcome}`);
}

/**
 * True when the kernel creates ARENA maps (cached per process).
 * @throws {BpfError} when the probe cannot tell (e.g. EPERM without privileges)
 */
export const probeArena: FeatureProbe = cachedProbe(() => {
  try {
    mapCreate({ mapType: BpfMapType.ARENA, keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: BPF_F_MMAPABLE }).close();
    return decideArena('created');
  } catch (err) {
    if (isBpfError(err) && (err.code === 'EINVAL' || err.code === 'EOPNOTSUPP')) return decideArena(err.code);
    throw err;
  }
});

/** The error for an ARENA map on a kernel without arenas: code EOPNOTSUPP and {@link ARENA_HINT}. */
export function arenaUnsupported(map: string, object?: string): BpfError {
  return new BpfError(`map ${map}: BPF arenas need Linux ${ARENA_MIN_KERNEL} or newer (running ${kernelRelease()})`, {
    code: 'EOPNOTSUPP', map, object, hint: ARENA_HINT,
  });
}

/**
 * Load-time gate for an ARENA map: throws {@link arenaUnsupported} when the probe says the
 * kernel has no arenas. When the probe cannot tell, the load goes on and reports the
 * kernel's own error.
 *
 * @throws {BpfError} EOPNOTSUPP on kernels without arenas
 */
export function requireArena(map: string, object?: string): void {
  let supported: boolean;
  try {
    supported = probeArena();
  } catch {
    return;
  }
  if (!supported) throw arenaUnsupported(map, object);
}
