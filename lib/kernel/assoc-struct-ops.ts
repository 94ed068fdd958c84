/**
 * Feature probe: does the running kernel have BPF_PROG_ASSOC_STRUCT_OPS (command 38)?
 * Asked with descriptors that cannot be open, a kernel with the command fails the fd
 * lookup (EBADF); one without it refuses the unknown command (EINVAL) before that.
 */
import { isBpfError } from '../errors';
import { progAssocStructOps } from '../sys';
import { cachedProbe, type FeatureProbe } from './probe';

/** Above any RLIMIT_NOFILE: never an open descriptor. */
const NO_FD = 0x7fff_fffe;

/** Decides support from the probe call's error code (exported for unit tests). */
export function decideAssocStructOps(code: string): boolean {
  if (code === 'EBADF') return true;
  if (code === 'EINVAL') return false;
  throw new Error(`unexpected ${code}`);
}

/**
 * True when BPF_PROG_ASSOC_STRUCT_OPS exists (cached per process).
 * @throws {BpfError} when the probe itself fails otherwise (e.g. EPERM without privileges)
 */
export const probeAssocStructOps: FeatureProbe = cachedProbe(() => {
  try {
    progAssocStructOps(NO_FD, NO_FD);
    return true;
  } catch (err) {
    if (isBpfError(err) && (err.code === 'EBADF' || err.code === 'EINVAL')) return decideAssocStructOps(err.code);
    throw err;
  }
});
