// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { existsSync, readFileSync } from 'node:fs';
import { gunzip, kernelRelease } from '../../sys';
import { BpfError } from '../../errors';
import { Btf, BtfKind, BTF_INT_SIGNED } from '../../btf';
import type { ExternSpec } from '../spec';

/** Far more than any kernel's config (a distribution's is ~300 KB): a bigger file is not one. */
const MAX_CONFIG_BYTES = 16 << 20;

/** The config text, after a '\n' so that every line starts after one; read once per process. */
let configText: string | undefined;

function kernelConfigText(object: string | undefined): string {
  if (configText !== undefined) return configText;
  const boot = `/boot/config-${kernelRelease()}`;
  const path = existsSync('/proc/config.gz') ? '/proc/config.gz' : existsSync(boot) ? boot : undefined;
  let text = '';
  try {
    // The addon's gunzip, not node:zlib: see lib/sys/gunzip.ts.
    if (path === '/proc/config.gz') text = gunzip(readFileSync(path), MAX_CONFIG_BYTES).toString('latin1');
    else if (path !== undefined) text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new BpfError(`cannot read the running kernel's config ${path}: ${(err as Error).message}`, {
      code: (err as { code?: string }).code ?? 'EIO', ...(object !== undefined ? { object } : {}), cause: err,
      hint: 'kconfig externs take their values from it; declare them __weak to default to 0 without one',
    });
  }
  configText = `\n${text}`;
  return configText;
}

/**
 * The raw value of `name` (CONFIG_X) in the running kernel's config, from /proc/config.gz
 * or /boot/config-<release>: what follows `CONFIG_X=` on its line. Undefined when the
 * option is not set (or there is no config). Only the names asked for are looked up: an
 * object has a few kconfig externs, a config some 10,000 lines.
 */
export function kernelConfigValue(name: string, object?: string): string | undefined {
  if (!name.startsWith('CONFIG_') || name.includes('\n')) return undefined;
  const text = kernelConfigText(object);
  const at = text.indexOf(`\n${name}=`);
  if (at < 0) return undefined;
  const start = at + name.length + 2;
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end);
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
  for (const ext of externs) {
    if (ext.kind !== 'kconfig') continue;
    const raw = ext.name === 'LINUX_KERNEL_VERSION' ? String(linuxKernelVersion()) : kernelConfigValue(ext.name, object);
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
