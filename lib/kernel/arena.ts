// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Feature probe: does the running kernel have BPF arenas (BPF_MAP_TYPE_ARENA, Linux 6.9,
 * "bpf: Introduce bpf_arena")? The probe creates a one-page arena and closes it at once.
 * A kernel without the map type refuses it with EINVAL (unknown type); one whose JIT cannot
 * run arena code (bpf_jit_supports_arena) with EOPNOTSUPP.
 */
import { BpfError, isBpfError } from '../errors';
import { BPF_F_MMAPABLE, BpfMapType, CAP_BPF, CAP_SYS_ADMIN, hasEffectiveCapabilities, kernelRelease, mapCreate } from '../sys';
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

/** The hint of {@link arenaRefused}. */
export const ARENA_REFUSED_HINT = 'no capability is missing: a security policy of this machine refuses arenas (an LSM ' +
  'such as SELinux or AppArmor, or a BPF LSM program on bpf_map_create); ask its administrator, or use an object without __arena data';

/**
 * The error for an ARENA map that a privileged process may not create: EPERM although it
 * holds CAP_BPF and CAP_SYS_ADMIN, all the kernel's own checks ask for.
 */
export function arenaRefused(map: string, object?: string): BpfError {
  return new BpfError(`map ${map}: the kernel refused to create a BPF arena (EPERM) although this process has CAP_BPF and CAP_SYS_ADMIN`, {
    code: 'EPERM', map, object, hint: ARENA_REFUSED_HINT,
  });
}

/**
 * Load-time gate for an ARENA map: throws {@link arenaUnsupported} when the probe says the
 * kernel has no arenas, {@link arenaRefused} when a privileged probe got EPERM. When the
 * probe cannot tell otherwise (EPERM without the capabilities), the load goes on and
 * reports the kernel's own error, whose hint asks for privileges.
 *
 * @throws {BpfError} EOPNOTSUPP on kernels without arenas; EPERM when a policy refuses them
 */
export function requireArena(map: string, object?: string): void {
  let supported: boolean;
  try {
    supported = probeArena();
  } catch (err) {
    if (isBpfError(err) && err.code === 'EPERM' && hasEffectiveCapabilities(CAP_BPF, CAP_SYS_ADMIN) === true) {
      throw arenaRefused(map, object);
    }
    return;
  }
  if (!supported) throw arenaUnsupported(map, object);
}
