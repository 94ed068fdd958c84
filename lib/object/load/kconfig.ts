// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync, readFileSync } from 'node:fs';
import { kernelRelease } from '../../sys';
import { BpfError } from '../../errors';
import { Btf, BtfKind, BTF_INT_SIGNED } from '../../btf';
import type { ExternSpec } from '../spec';

let cached: Map<string, string> | undefined;

/** The running kernel's config (CONFIG_X -> raw value), from /proc/config.gz or /boot/config-<release>. */
export function kernelConfig(): Map<string, string> {
  if (cached) return cached;
  let text = '';
  // zlib only here, when an object has kconfig externs: loading it costs ~1.5 ms otherwise.
  if (existsSync('/proc/config.gz')) text = (require('node:zlib') as typeof import('node:zlib')).gunzipSync(readFileSync('/proc/config.gz')).toString('latin1');
  else if (existsSync(`/boot/config-${kernelRelease()}`)) text = readFileSync(`/boot/config-${kernelRelease()}`, 'latin1');
  const config = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('CONFIG_') && eq > 0) config.set(line.slice(0, eq), line.slice(eq + 1));
  }
  cached = config;
  return config;
}

/** KERNEL_VERSION(a, b, c) of the running kernel, as LINUX_KERNEL_VERSION expects. */
export function linuxKernelVersion(osRelease = kernelRelease()): number {
  const [a = 0, b = 0, c = 0] = osRelease.split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  return (a << 16) + (b << 8) + Math.min(c, 255);
}

/**
 * Builds the `.kconfig` map value: each extern at its laid-out offset, converted to the
 * extern's C type (tristate/bool chars, integers of any size, char arrays for strings).
 * Missing values are zero for `__weak` externs and an error otherwise.
 *
 * @throws {BpfError} ENOENT for a missing non-weak extern; EINVAL for a value that does not fit.
 */
export function buildKconfigValue(btf: Btf, externs: readonly ExternSpec[], size: number, object: string): Buffer {
  const value = Buffer.alloc(size);
  const config = kernelConfig();
  for (const ext of externs) {
    if (ext.kind !== 'kconfig') continue;
    const raw = ext.name === 'LINUX_KERNEL_VERSION' ? String(linuxKernelVersion()) : config.get(ext.name);
    if (raw === undefined) {
      if (ext.weak) continue;
      throw new BpfError(`kconfig extern ${ext.name} has no value in the running kernel's config`, {
        code: 'ENOENT', object, hint: 'declare it __weak to default to 0, or check /proc/config.gz',
      });
    }
    const v = btf.typeById(ext.btfId);
    if (v.kind !== BtfKind.VAR) continue;
    writeValue(btf, v.type, raw, value.subarray(ext.offset, ext.offset + ext.size), ext.name, object);
  }
  return value;
}

function writeValue(btf: Btf, typeId: number, raw: string, out: Buffer, name: string, object: string): void {
  const t = btf.resolve(typeId);
  const bad = (why: string): BpfError => new BpfError(`kconfig extern ${name}=${raw}: ${why}`, { object });
  if (t.kind === BtfKind.ARRAY) {
    const text = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    Buffer.from(text, 'latin1').copy(out, 0, 0, Math.max(0, out.length - 1));
    return;
  }
  if (raw === 'y' || raw === 'm' || raw === 'n') {
    out[0] = raw === 'y' ? 1 : raw === 'm' ? 2 : 0;
    return;
  }
  if (t.kind !== BtfKind.INT && t.kind !== BtfKind.ENUM && t.kind !== BtfKind.ENUM64) throw bad('unsupported C type');
  let n: bigint;
  try {
    n = BigInt(raw);
  } catch {
    throw bad('not a number');
  }
  const signed = t.kind === BtfKind.INT ? (t.encoding & BTF_INT_SIGNED) !== 0 : t.signed;
  const bits = BigInt(out.length * 8);
  const fits = signed ? n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n) : n >= 0n && n < 1n << bits;
  if (!fits) throw bad(`does not fit in ${out.length} bytes`);
  let u = BigInt.asUintN(Number(bits), n);
  for (let i = 0; i < out.length; i++, u >>= 8n) out[i] = Number(u & 0xffn);
}
