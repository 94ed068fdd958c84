// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The running kernel's BTF from /sys/kernel/btf: vmlinux plus one split BTF per module.
 * Each is parsed once per process and decoded lazily. vmlinux is also *read* lazily:
 * sysfs hands out BTF 4 KiB per read(2), so reading all 5 MB costs more than everything
 * else a lookup does.
 *
 * With a boot-scoped name index (index-cache.ts, built by the first process after boot
 * that may write it) nothing is scanned: records and names are found through the index
 * and only the pages decoded or compared are read. Without one, the type section is read
 * and scanned only as far as a lookup gets (tcp_congestion_ops sits about 10% in).
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, malformed } from '../errors';
import { mapFileReadOnly, type FileMap } from '../sys';
import { Btf } from './btf';
import { parseHeader, type BtfHeader } from './header';
import {
  canStore, defaultCacheOptions, dropIndex, EDGE_BYTES, indexKey, loadIndex, storeIndex, type IndexCacheOptions,
} from './index-cache';
import type { BlockCheck } from './indexed';
import { PagedFile } from './paged-file';
import { Progressive } from './progressive';
import { RECORD_SIZES } from './type-table';
import type { VmlinuxIndex } from './vmlinux-index';

/** Where the kernel exposes its BTF (CONFIG_DEBUG_INFO_BTF, Linux 5.4+; modules 5.11+). */
const SYSFS_BTF = '/sys/kernel/btf';

/** sysfs returns at most a page per read(2), so ask for one page to get the header. */
const FIRST_READ = 4096;
/** Read-ahead per step into the type and string sections (a few dozen sysfs reads each). */
const TYPE_CHUNK = 64 * 1024;
const STRING_CHUNK = 64 * 1024;

let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

/**
 * Returns the kernel's own BTF, parsed lazily on first call and cached for the process.
 *
 * Lookups go through a name index cached for the current boot in /run/struct-ops
 * (written by the first process that may; only read by others). Set
 * `STRUCT_OPS_BTF_CACHE` to another directory, or to `off` to read without it.
 *
 * @throws BpfError (ENOENT with a hint) when the kernel exposes no BTF; (EINVAL) when it is malformed
 * @example
 * const id = loadKernelBtf().findByName('bpf_struct_ops_tcp_congestion_ops', 'struct')?.id;
 */
export function loadKernelBtf(): Btf {
  vmlinux ??= parseVmlinux(join(SYSFS_BTF, 'vmlinux'), defaultCacheOptions());
  return vmlinux;
}

/**
 * Returns a module's BTF as split BTF over {@link loadKernelBtf}, cached per module.
 *
 * @param name - module name as listed in /sys/kernel/btf (e.g. `'tcp_bbr'`)
 * @throws BpfError (ENOENT) when the module is not loaded or has no BTF; (EINVAL) for a bad name
 */
export function loadModuleBtf(name: string): Btf {
  if (name === 'vmlinux' || name === '' || name.includes('/') || name === '.' || name === '..') {
    throw malformed(`invalid kernel module name ${JSON.stringify(name)}`);
  }
  let btf = modules.get(name);
  if (!btf) {
    btf = Btf.parse(readBtfFile(name), { base: loadKernelBtf(), name, lazy: true });
    modules.set(name, btf);
  }
  return btf;
}

/**
 * Lists the modules that expose BTF (entries of /sys/kernel/btf except vmlinux), sorted.
 * Returns an empty list when the directory does not exist.
 */
export function listKernelBtfModules(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(SYSFS_BTF);
  } catch {
    return [];
  }
  return entries.filter((e) => e !== 'vmlinux').sort();
}

/**
 * Parses a vmlinux BTF file, reading its sections on demand. With `cache`, a valid cached
 * name index is used (see the file comment); when there is none and the cache directory
 * is writable, the file is read in full once to build and store one. Exported for tests,
 * which point it at a copy of the file and a temporary cache.
 *
 * @internal
 */
export function parseVmlinux(path: string, cache?: IndexCacheOptions): Btf {
  let mapped: FileMap | undefined;
  const data = io(path, () => {
    const fd = openSync(path, 'r');
    try {
      // allocUnsafeSlow: an unpooled, aligned buffer, as Btf.parsePartial requires.
      const buf = Buffer.allocUnsafeSlow(fstatSync(fd).size);
      readRange(fd, buf, 0, Math.min(buf.length, FIRST_READ), path);
      mapped = buf.length > FIRST_READ ? mapFileReadOnly(path, buf.length) : undefined;
      return buf;
    } finally {
      closeSync(fd);
    }
  });
  let hdr;
  try {
    hdr = parseHeader(data, 'vmlinux');
  } catch {
    hdr = undefined;
  }
  if (!hdr || hdr.typeStart % 4 !== 0) {
    // Let the ordinary parser report a bad header (or realign an odd one) on the whole file.
    return Btf.parse(io(path, () => readFileSync(path)), { name: 'vmlinux', lazy: true });
  }
  if (cache) {
    const indexed = withIndex(path, data, hdr, cache, mapped);
    if (indexed) return indexed;
  }
  const read = (from: number, to: number): void =>
    // Reopened per call so a cached, half-read BTF never holds a file descriptor.
    mapped !== undefined ? mapped.copy(data, from, from, to - from) : io(path, () => {
      const fd = openSync(path, 'r');
      try {
        readRange(fd, data, from, to, path);
      } finally {
        closeSync(fd);
      }
    });
  const typeEnd = hdr.typeStart + hdr.typeLen;
  const strEnd = hdr.strStart + hdr.strLen;
  const types = new Progressive(hdr.typeStart, typeEnd, read, TYPE_CHUNK);
  const strings = new Progressive(hdr.strStart, strEnd, read, STRING_CHUNK);
  // Whatever lies outside both sections (normally nothing) is read now.
  const gaps = [
    [FIRST_READ, Math.min(hdr.typeStart, hdr.strStart)],
    [Math.max(FIRST_READ, Math.min(typeEnd, strEnd)), Math.max(hdr.typeStart, hdr.strStart)],
    [Math.max(FIRST_READ, typeEnd, strEnd), data.length],
  ];
  for (const [from, to] of gaps) if (from < to) read(from, to);
  return Btf.parsePartial(data, { types, strings }, { name: 'vmlinux' });
}

/**
 * Opens the blob through the cached index, or builds and stores one when the cache can be
 * written. Returns undefined to fall back to the progressive reader.
 */
function withIndex(path: string, data: Buffer, hdr: BtfHeader, cache: IndexCacheOptions, mapped?: FileMap): Btf | undefined {
  const file = new PagedFile(path, data, Math.min(data.length, FIRST_READ), mapped);
  const tailFrom = Math.max(0, data.length - EDGE_BYTES);
  io(path, () => file.fill(tailFrom, data.length));
  const head = data.subarray(0, Math.min(data.length, EDGE_BYTES));
  const key = indexKey(cache, data.length, head, data.subarray(tailFrom));
  if (!key) return undefined;
  const index = loadIndex(cache, key, hdr.typeLen / 4, 1);
  if (index) {
    // Whatever lies outside both sections (normally nothing) is read now, as below.
    const [a, b] = [[hdr.typeStart, hdr.typeStart + hdr.typeLen], [hdr.strStart, hdr.strStart + hdr.strLen]]
      .sort((x, y) => x[0] - y[0]);
    io(path, () => {
      file.fill(0, a[0]);
      file.fill(a[1], b[0]);
      file.fill(b[1], data.length);
    });
    return Btf.parseIndexed(data, {
      types: file.range(hdr.typeStart, hdr.typeStart + hdr.typeLen),
      strings: file.range(hdr.strStart, hdr.strStart + hdr.strLen),
      index,
      // The blob contradicted the cached index: replace it by the one rebuilt from the blob.
      onStale: (rebuilt) => {
        dropIndex(cache);
        if (canStore(cache)) storeIndex(cache, key, rebuilt);
      },
      checkBlocks: mapped && blockCheck(mapped, hdr, index),
    }, { name: 'vmlinux' });
  }
  if (!canStore(cache)) return undefined;
  // Build once per boot: read everything (one pass over the file), index it, store it.
  io(path, () => file.complete());
  const btf = Btf.parse(data, { name: 'vmlinux', lazy: true });
  storeIndex(cache, key, btf.buildIndex());
  return btf;
}

/**
 * Proves `index`'s blocks on the mapping itself, so a cold lookup of a high type id (a
 * kfunc: ~114,000 on 6.18) copies and walks no 3 MB in JavaScript. The RecordBlocks view
 * is of the index as opened; after a rebuild the table proves nothing more.
 */
function blockCheck(mapped: FileMap, hdr: BtfHeader, index: VmlinuxIndex): BlockCheck {
  const blocks = { sectionStart: hdr.typeStart, sectionLength: hdr.typeLen, blockStarts: index.blockStarts, stride: index.stride, count: index.count };
  return (fromBlock, toBlock) => mapped.checkBlocks(RECORD_SIZES, blocks, fromBlock, toBlock);
}

/** Reads bytes [from, to) of the file into the same range of `buf`. */
function readRange(fd: number, buf: Buffer, from: number, to: number, path: string): void {
  let pos = from;
  while (pos < to) {
    const n = readSync(fd, buf, pos, to - pos, pos);
    if (n <= 0) throw new BpfError(`kernel btf ${path}: unexpected end of file at ${pos}`, { code: 'EIO', offset: pos });
    pos += n;
  }
}

function readBtfFile(name: string): Buffer {
  const path = join(SYSFS_BTF, name);
  return io(path, () => readFileSync(path));
}

/** Runs a file operation, turning Node's errors into BpfError with a hint. */
function io<T>(path: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (err instanceof BpfError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const hint = path.endsWith('/vmlinux')
      ? 'the kernel needs CONFIG_DEBUG_INFO_BTF=y'
      : 'is the module loaded, and built with CONFIG_DEBUG_INFO_BTF_MODULES=y?';
    throw new BpfError(`cannot read kernel btf ${path}: ${code}`, { code, hint, cause: err });
  }
}
