// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Loads struct_ops.node (the bpf() shim built from native/) and is the only caller of it.
 * Loading is lazy so that importing lib/sys never fails; the first bpf() call reports a
 * missing addon or a non-Linux platform as a BpfError.
 */
import { addonCandidates, findAddon } from './addon-path';
import { BpfError } from '../errors';
import type { EncodedAttr } from './attr';
import { setCloser } from './fd';
import { toBpfError } from './syscall-error';

/** What struct_ops.node exports. */
interface NativeAddon {
  bpf(cmd: number, attr: Buffer, buffers: (Buffer | null)[]): number;
  bpfAsync(cmd: number, attr: Buffer, buffers: (Buffer | null)[]): Promise<number>;
  close(fd: number): void;
  /** TCP_CONGESTION only (native/sockopt.cc). */
  setsockopt(fd: number, level: number, optname: number, value: Buffer): void;
  getsockopt(fd: number, level: number, optname: number, size: number): Buffer;
  /**
   * perf_event_open of one tracepoint (native/perf_event.cc). Optional: an addon built
   * before it existed still serves everything else (see perf-event-open.ts).
   */
  perfEventOpenTracepoint?(id: number, cpu: number): number;
}


let loaded: NativeAddon | undefined;

function isAddon(value: unknown): value is NativeAddon {
  const v = value as Partial<NativeAddon> | null;
  return (
    typeof v?.bpf === 'function' &&
    typeof v.bpfAsync === 'function' &&
    typeof v.close === 'function' &&
    typeof v.setsockopt === 'function' &&
    typeof v.getsockopt === 'function'
  );
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
  const candidates = addonCandidates();
  const path = findAddon(candidates);
  if (path === undefined) {
    throw new BpfError(`no struct-ops native addon for linux-${process.arch}: looked for ${candidates.join(', ')}`, {
      code: 'ENOSYS',
      hint: `this package ships prebuilt addons for linux-x64 and linux-arm64; on ${process.arch}, build it with ` +
        '`npm run build:native` in the package directory (needs a C++ toolchain and node-gyp)',
    });
  }
  let mod: unknown;
  try {
    // A .node addon can only be loaded with require().
    mod = require(path);
  } catch (cause) {
    throw new BpfError(`cannot load native addon ${path}: ${(cause as Error).message}`, {
      code: 'ENOSYS',
      hint: 'the binary does not match this system; rebuild it with `npm run build:native`',
      cause,
    });
  }
  if (!isAddon(mod)) throw new BpfError(`${path} is not the struct-ops addon`, { code: 'ENOSYS' });
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

/** Wraps a plain errno error from close/setsockopt/getsockopt into a BpfError. */
function plainSyscallError(what: string, e: unknown): BpfError {
  const { code, errno, message } = e as { code?: string; errno?: number; message?: string };
  return new BpfError(`${what}: ${message ?? String(e)}`, { code: code ?? 'EINVAL', errno, cause: e });
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
    throw plainSyscallError(`close(${fd})`, e);
  }
}

/**
 * setsockopt(2) through the addon; only IPPROTO_TCP/TCP_CONGESTION is allowed.
 * @throws {BpfError} with the errno of setsockopt.
 */
export function sysSetsockopt(fd: number, level: number, optname: number, value: Buffer): void {
  const addon = nativeAddon();
  try {
    addon.setsockopt(fd, level, optname, value);
  } catch (e) {
    throw plainSyscallError(`setsockopt(${fd})`, e);
  }
}

/**
 * getsockopt(2) through the addon; only IPPROTO_TCP/TCP_CONGESTION is allowed.
 * @returns the bytes the kernel wrote (at most `size`).
 * @throws {BpfError} with the errno of getsockopt.
 */
export function sysGetsockopt(fd: number, level: number, optname: number, size: number): Buffer {
  const addon = nativeAddon();
  try {
    return addon.getsockopt(fd, level, optname, size);
  } catch (e) {
    throw plainSyscallError(`getsockopt(${fd})`, e);
  }
}

setCloser(sysClose);
