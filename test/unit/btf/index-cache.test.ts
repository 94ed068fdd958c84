import * as fs from 'node:fs';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Btf, BtfKind } from '../../../lib/btf';
import { cachePath, defaultCacheOptions, indexKey, loadIndex, MAX_INDEX_FILE, storeIndex, type IndexCacheOptions } from '../../../lib/btf/index-cache';
import { IndexedTable } from '../../../lib/btf/indexed';
import { parseVmlinux } from '../../../lib/btf/kernel';
import { VmlinuxIndex } from '../../../lib/btf/vmlinux-index';
import { synthetic } from './synthetic';

// readSync passes through, recorded: the size bound is seen in what the cache asks to read.
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...real, readSync: jest.fn(real.readSync) };
});
const readSyncCalls = (): unknown[][] => (fs.readSync as unknown as jest.Mock).mock.calls;

const BOOT_A = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const BOOT_B = '11111111-2222-3333-4444-555555555555';
// Word indexes of the index file's header (see vmlinux-index.ts).
const H_BUCKETS = 16;
const H_ENTRIES = 17;
const H_ID_BITS = 18;
const HEADER_WORDS = 20;

const indexed = (btf: Btf): boolean => (btf as unknown as { table: unknown }).table instanceof IndexedTable;

/** Rewrites the trailing CRC so a deliberately changed index still passes the checksum. */
function resealed(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

/** Every lookup a loader makes gives the same answer as a full, eager parse. */
function expectSameAnswers(btf: Btf, blob: Buffer, names: Map<string, { id: number; kind: BtfKind }[]>): void {
  const full = Btf.parse(blob, { name: 'full' });
  expect(btf.typeCount).toBe(full.typeCount);
  expect(btf.stringsLength).toBe(full.stringsLength);
  for (const [name, want] of names) {
    expect(btf.findAllByName(name).map((t) => t.id)).toEqual(want.map((w) => w.id));
    for (const kind of new Set(want.map((w) => w.kind))) {
      expect(btf.findByName(name, kind)?.id).toBe(want.find((w) => w.kind === kind)!.id);
    }
    expect(btf.findByName(name, BtfKind.FLOAT)).toBeUndefined();
  }
  for (const missing of ['', 'nope', 's_', 'int\0x', 'dup___', 'E_ONE']) {
    expect(btf.findByName(missing)).toBeUndefined();
    expect(btf.findAllByName(missing)).toEqual([]);
  }
  for (const prefix of ['dup___', 'ops___', 'ops___v', 'zzz___']) {
    expect(btf.stringsWithPrefix(prefix)).toEqual(full.stringsWithPrefix(prefix));
  }
  for (let id = 1; id < full.typeCount; id++) expect(btf.typeById(id)).toEqual(full.typeById(id));
  expect(() => btf.typeById(full.typeCount)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  expect(btf.raw.equals(blob)).toBe(true);
}

describe('vmlinux name index cache', () => {
  let dir: string;
  let file: string;
  let cache: IndexCacheOptions;
  const syn = synthetic();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'btf-index-'));
    file = join(dir, 'vmlinux');
    writeFileSync(file, syn.blob);
    cache = { dir: join(dir, 'run', 'struct-ops'), bootId: BOOT_A };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the index once, then answers from it exactly like a full parse', () => {
    const first = parseVmlinux(file, cache);
    expect(existsSync(cachePath(cache))).toBe(true);
    expectSameAnswers(first, syn.blob, syn.names);
    const second = parseVmlinux(file, cache);
    expect(indexed(second)).toBe(true);
    expectSameAnswers(second, syn.blob, syn.names);
  });

  it('serves lookups and records from a fresh index before anything else is read', () => {
    parseVmlinux(file, cache);
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(true);
    // Lookups first (nothing scanned), then ids from the end and the start of the table.
    expect(btf.findAllByName('dup').map((t) => t.kind)).toEqual([BtfKind.STRUCT, BtfKind.UNION, BtfKind.TYPEDEF]);
    expect(btf.findByName('dup', 'typedef')?.id).toBe(syn.typeCount - 1);
    expect(btf.typeById(syn.typeCount - 1)).toMatchObject({ kind: BtfKind.TYPEDEF, name: 'dup' });
    expect(btf.typeById(1)).toMatchObject({ kind: BtfKind.INT, name: 'int' });
    expect(btf.typeName(btf.findByName('f_007', 'func')!.id)).toBe('int f_007(int)');
  });

  it('ignores the index of another boot and replaces it', () => {
    parseVmlinux(file, cache);
    const old = readFileSync(cachePath(cache));
    const other = { ...cache, bootId: BOOT_B };
    const rebuilt = parseVmlinux(file, other);
    expect(indexed(rebuilt)).toBe(false);
    expectSameAnswers(rebuilt, syn.blob, syn.names);
    expect(readFileSync(cachePath(cache)).equals(old)).toBe(false);
    expect(indexed(parseVmlinux(file, other))).toBe(true);
    // And the first boot's key no longer matches what is on disk.
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
  });

  it('ignores the index of another blob of the same size and header', () => {
    const other = synthetic(1);
    expect(other.blob.length).toBe(syn.blob.length);
    expect(other.blob.subarray(0, 24).equals(syn.blob.subarray(0, 24))).toBe(true);
    parseVmlinux(file, cache);
    writeFileSync(file, other.blob);
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(false);
    expectSameAnswers(btf, other.blob, other.names);
  });

  it.each([
    ['a flipped byte', (b: Buffer) => { const c = Buffer.from(b); c[c.length >> 1] ^= 0x40; return c; }],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 8)],
    ['an empty file', () => Buffer.alloc(0)],
    ['garbage', (b: Buffer) => Buffer.alloc(b.length, 0xa5)],
    ['another format version', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt32LE(99, 4); return resealed(c); }],
    ['a bucket table that does not add up', (b: Buffer) => {
      const c = Buffer.from(b);
      const blocks = Math.ceil((syn.typeCount - 1) / 32);
      c.writeUInt32LE(12345, (HEADER_WORDS + blocks) * 4);
      return resealed(c);
    }],
  ])('ignores %s and rebuilds the cache', (_what, corrupt) => {
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    writeFileSync(cachePath(cache), corrupt(good));
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(false);
    expectSameAnswers(btf, syn.blob, syn.names);
    expect(readFileSync(cachePath(cache)).equals(good)).toBe(true);
  });

  it('does not read a planted index over MAX_INDEX_FILE, and replaces it', () => {
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    // The real index, then a hole up to one byte over the bound (sparse: no disk space).
    truncateSync(cachePath(cache), MAX_INDEX_FILE + 1);
    expect(statSync(cachePath(cache)).size).toBe(MAX_INDEX_FILE + 1);
    const before = readSyncCalls().length;
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(false);
    expectSameAnswers(btf, syn.blob, syn.names);
    // Refused from its size alone: no read of it was even asked for (the cache's first read
    // of a file asks for all of it).
    const lengths = readSyncCalls().slice(before).map((c) => (typeof c[3] === 'number' ? c[3] : 0));
    expect(lengths.filter((n) => n > MAX_INDEX_FILE)).toEqual([]);
    expect(readFileSync(cachePath(cache)).equals(good)).toBe(true);
    expect(indexed(parseVmlinux(file, cache))).toBe(true);
  });

  it('removes stale temporary files of dead writers on the next store, and only those', () => {
    parseVmlinux(file, cache);
    const stale = join(cache.dir, '.vmlinux.idx.4242.0123456789ab');
    const fresh = join(cache.dir, '.vmlinux.idx.4343.ba9876543210');
    const unrelated = join(cache.dir, 'vmlinux.idx.keep');
    const elevenMinutesAgo = (Date.now() - 11 * 60 * 1000) / 1000;
    for (const p of [stale, fresh, unrelated]) writeFileSync(p, 'left by a writer that died');
    utimesSync(stale, elevenMinutesAgo, elevenMinutesAgo);
    utimesSync(unrelated, elevenMinutesAgo, elevenMinutesAgo);
    const key = indexKey(cache, syn.blob.length, syn.blob, syn.blob.subarray(-4096))!;
    expect(storeIndex(cache, key, Btf.parse(syn.blob).buildIndex())).toBe(true);
    expect(existsSync(stale)).toBe(false);
    // A temporary file this young may belong to a writer still at work.
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    expect(existsSync(cachePath(cache))).toBe(true);
  });

  it('does not trust a cache file that others may write', () => {
    parseVmlinux(file, cache);
    chmodSync(cachePath(cache), 0o666);
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
    chmodSync(cache.dir, 0o777);
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
    expect(loadIndex(cache, indexKey(cache, syn.blob.length, syn.blob, syn.blob)!, 1 << 20, 1)).toBeUndefined();
  });

  it('answers from the blob, and replaces the cache, when a block start contradicts it', () => {
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    // A block start that points into the middle of a record (CRC recomputed, as a buggy writer would).
    const shifted = Buffer.from(good);
    const at = (HEADER_WORDS + 2) * 4; // start of block 2 (ids 65..96), so block 1 cannot end there either
    shifted.writeUInt32LE(shifted.readUInt32LE(at) + 3, at);
    writeFileSync(cachePath(cache), resealed(shifted));
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(true);
    expect(btf.typeById(1).name).toBe('int'); // block 0 is still consistent
    const full = Btf.parse(syn.blob);
    expect(btf.typeById(70)).toEqual(full.typeById(70));
    // The bad file was replaced by the index of the real bytes.
    expect(readFileSync(cachePath(cache)).equals(good)).toBe(true);
    expectSameAnswers(btf, syn.blob, syn.names);
  });

  it('never returns a type under another name, whatever ids the index lists', () => {
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    const w = new Uint32Array(good.buffer.slice(good.byteOffset, good.byteOffset + good.length));
    const blocks = Math.ceil((syn.typeCount - 1) / 32);
    const entriesAt = HEADER_WORDS + blocks + w[H_BUCKETS] + 1;
    const idMask = 2 ** w[H_ID_BITS] - 1;
    // Point every entry at the id of the entry before it (keeping hash tags).
    const tampered = Buffer.from(good);
    const count = w[H_ENTRIES];
    for (let e = 1; e < count; e++) {
      const prev = w[entriesAt + e - 1] & idMask;
      tampered.writeUInt32LE(((w[entriesAt + e] & ~idMask) | prev) >>> 0, (entriesAt + e) * 4);
    }
    writeFileSync(cachePath(cache), resealed(tampered));
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(true);
    for (const name of syn.names.keys()) {
      let found: ReturnType<Btf['findAllByName']>;
      try {
        found = btf.findAllByName(name);
      } catch (err) {
        expect(err).toMatchObject({ code: 'ESTALE' });
        continue;
      }
      for (const t of found) expect(t.name).toBe(name);
    }
  });

  it('works on without a cache when the directory cannot be used', () => {
    writeFileSync(join(dir, 'run'), 'not a directory');
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(false);
    expectSameAnswers(btf, syn.blob, syn.names);
    expect(existsSync(join(dir, 'run', 'struct-ops'))).toBe(false);
  });

  it('needs a readable boot id', () => {
    expect(indexKey({ dir, bootId: 'not-a-uuid' }, 1, syn.blob, syn.blob)).toBeUndefined();
    expect(indexKey({ dir, bootId: `${BOOT_A.slice(0, -1)}g` }, 1, syn.blob, syn.blob)).toBeUndefined();
    const btf = parseVmlinux(file, { dir: cache.dir, bootId: 'bogus' });
    expect(indexed(btf)).toBe(false);
    expect(existsSync(cache.dir)).toBe(false);
    expect(btf.findByName('ops', 'struct')?.id).toBe(syn.names.get('ops')![0].id);
  });

  it('round-trips an index and rejects other keys', () => {
    const full = Btf.parse(syn.blob);
    mkdirSync(cache.dir, { recursive: true });
    const index = full.buildIndex();
    const key = indexKey(cache, syn.blob.length, syn.blob, syn.blob)!;
    const buf = index.serialize(key);
    const back = VmlinuxIndex.parse(buf, key, (syn.blob.readUInt32LE(12)) / 4, 1)!;
    expect(back).toBeDefined();
    expect(back.count).toBe(syn.typeCount - 1);
    expect(back.flavored).toEqual(['dup___flavor', 'ops___v2']);
    expect(VmlinuxIndex.parse(buf, { ...key, fileSize: key.fileSize + 1 }, 1 << 20, 1)).toBeUndefined();
    expect(VmlinuxIndex.parse(buf, { ...key, edgeCrc: key.edgeCrc ^ 1 }, 1 << 20, 1)).toBeUndefined();
    expect(VmlinuxIndex.parse(buf, key, 3, 1)).toBeUndefined(); // more records than the section can hold
  });

  it('takes its directory from STRUCT_OPS_BTF_CACHE', () => {
    expect(defaultCacheOptions({})).toEqual({ dir: '/run/struct-ops' });
    expect(defaultCacheOptions({ STRUCT_OPS_BTF_CACHE: '/tmp/x' })).toEqual({ dir: '/tmp/x' });
    expect(defaultCacheOptions({ STRUCT_OPS_BTF_CACHE: 'off' })).toBeUndefined();
    expect(defaultCacheOptions({ STRUCT_OPS_BTF_CACHE: '' })).toBeUndefined();
  });
});
