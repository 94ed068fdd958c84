// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Facts about the running host, without loading `node:os` when the library is required:
 * `require('struct-ops')` loads no Node built-in it does not need at once (docs/startup.md),
 * and os is only needed for a kernel release in a message or a kconfig lookup.
 */

/** True on a little-endian host (the kernel reads bpf() attrs in host byte order). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `uname -r` of the running kernel (os.release(), loaded on first use). */
export function kernelRelease(): string {
  return (require('node:os') as typeof import('node:os')).release();
}

/** Node's table of errno names to numbers (os.constants.errno, loaded on first use). */
export function errnoTable(): Readonly<Record<string, number>> {
  return (require('node:os') as typeof import('node:os')).constants.errno;
}

/** Capability numbers of include/uapi/linux/capability.h that error hints check for. */
export const CAP_SYS_ADMIN = 21;
export const CAP_BPF = 39;

/**
 * Whether this process has every one of `caps` in its effective set (CapEff of
 * /proc/self/status), or undefined when that cannot be read.
 */
export function hasEffectiveCapabilities(...caps: number[]): boolean | undefined {
  let status: string;
  try {
    status = (require('node:fs') as typeof import('node:fs')).readFileSync('/proc/self/status', 'latin1');
  } catch {
    return undefined;
  }
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return undefined;
  const eff = BigInt(`0x${hex}`);
  return caps.every((c) => ((eff >> BigInt(c)) & 1n) === 1n);
}
