/**
 * Loads struct_ops.node (the bpf() shim built from native/) and is the only caller of it.
 * Loading is lazy so that importing lib/sys never fails; the first bpf() call reports a
 * missing addon or a non-Linux platform as a BpfError.
 */
import { join } from 'node:path';
import { BpfError } from '../errors';
import type { EncodedAttr } from './attr';
import { setCloser } from './fd';
import { toBpfError } from './syscall-error';

/** What struct_ops.node exports. */
interface NativeAddon {
  bpf(cmd: number, attr: Buffer, buffers: (Buffer | null)[]): number;
  bpfAsync(cmd: number, attr: Buffer, buffers: (Buffer | null)[]): Promise<number>;
  close(fd: number): void;
}

// lib/sys and dist/sys are both two levels below the package root.
const ADDON_PATH = join(__dirname, '..', '..', 'build', 'Release', 'struct_ops.node');

let loaded: NativeAddon | undefined;

function isAddon(value: unknown): value is NativeAddon {
  const v = value as Partial<NativeAddon> | null;
  return typeof v?.bpf === 'function' && typeof v.bpfAsync === 'function' && typeof v.close === 'function';
}

/**
 * The loaded addon.
 * @throws {BpfError} ENOSYS off Linux or when build/Release/struct_ops.node is missing or broken.
 */
export function nativeAddon(): NativeAddon {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') {
    throw new BpfError(`struct-ops needs Linux: bpf() does not exist on ${process.platform}`, {
      code: 'ENOSYS',
      hint: 'run on a Linux kernel with CONFIG_BPF_SYSCALL (5.6+ for struct_ops)',
    });
  }
  let mod: unknown;
  try {
    // A .node addon can only be loaded with require().
    mod = require(ADDON_PATH);
  } catch (cause) {
    throw new BpfError(`cannot load native addon ${ADDON_PATH}: ${(cause as Error).message}`, {
      code: 'ENOSYS',
      hint: 'run npm install (or npm run build) to compile it with node-gyp',
      cause,
    });
  }
  if (!isAddon(mod)) throw new BpfError(`${ADDON_PATH} is not the struct-ops addon`, { code: 'ENOSYS' });
  loaded = mod;
  return mod;
}

/**
 * Runs one bpf() command synchronously and returns its result (an fd or 0).
 * @throws {BpfError} with code/errno/command/hint on any failure.
 */
export function sysBpf(cmd: number, enc: EncodedAttr): number {
  const addon = nativeAddon();
  try {
    return addon.bpf(cmd, enc.attr, enc.buffers);
  } catch (e) {
    throw toBpfError(e, cmd);
  }
}

/**
 * Runs BPF_PROG_LOAD or BPF_BTF_LOAD on the libuv thread pool.
 * @throws {BpfError} (as a rejection) with the same shape as {@link sysBpf}.
 */
export async function sysBpfAsync(cmd: number, enc: EncodedAttr): Promise<number> {
  const addon = nativeAddon();
  try {
    return await addon.bpfAsync(cmd, enc.attr, enc.buffers);
  } catch (e) {
    throw toBpfError(e, cmd);
  }
}

/**
 * close(2) through the addon.
 * @throws {BpfError} with the errno of close (EBADF for a descriptor that is not open).
 */
export function sysClose(fd: number): void {
  const addon = nativeAddon();
  try {
    addon.close(fd);
  } catch (e) {
    const { code, errno } = e as { code?: string; errno?: number };
    throw new BpfError(`close(${fd}): ${(e as Error).message}`, { code: code ?? 'EINVAL', errno, cause: e });
  }
}

setCloser(sysClose);
