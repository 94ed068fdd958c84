/**
 * The cached kernel BTF index is proven block by block before an id is used (indexed.ts).
 * Where the file is mapped, native code walks the blocks on the mapping
 * (native/file_map.cc fileMapCheckBlocks); elsewhere (kernels before 6.16) they are read and
 * walked in JavaScript. Both must catch the same forgery and answer the same ids, and the
 * native walk must refuse arguments outside its tables, section or blocks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf } from '../../../lib/btf';
import { cachePath, type IndexCacheOptions } from '../../../lib/btf/index-cache';
import { RECORD_SIZES } from '../../../lib/btf/type-table';
import { mapFileReadOnly, type FileMap, type RecordBlocks } from '../../../lib/sys';
import { recordOffsets, shiftedByOne, STRIDE } from './forge';
import { synthetic } from './synthetic';

const BOOT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

type ParseVmlinux = (path: string, cache?: IndexCacheOptions) => Btf;

/** parseVmlinux from a fresh module registry, with the mapping available or not. */
function loadParser(mapping: boolean): { parse: ParseVmlinux; checks: () => number } {
  let checks = 0;
  let parse!: ParseVmlinux;
  jest.isolateModules(() => {
    jest.doMock('../../../lib/sys', () => {
      const sys = jest.requireActual('../../../lib/sys');
      return {
        ...sys,
        mapFileReadOnly: (path: string, length: number) => {
          if (!mapping) return undefined;
          const m = sys.mapFileReadOnly(path, length) as FileMap | undefined;
          if (m === undefined) return undefined;
          return { ...m, checkBlocks: (...args: Parameters<FileMap['checkBlocks']>) => (checks++, m.checkBlocks(...args)) };
        },
      };
    });
    parse = (jest.requireActual('../../../lib/btf/kernel') as { parseVmlinux: ParseVmlinux }).parseVmlinux;
  });
  jest.dontMock('../../../lib/sys');
  return { parse, checks: () => checks };
}

describe.each([
  ['proven by native code on the mapping', true],
  ['read and proven in JavaScript', false],
])('a cached index %s', (_label, mapping) => {
  let dir: string;
  let file: string;
  const syn = synthetic();
  const full = Btf.parse(syn.blob);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'btf-proof-'));
    file = join(dir, 'vmlinux');
    writeFileSync(file, syn.blob);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every name with its real id, and proves blocks only the way it says', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    const { parse, checks } = loadParser(mapping);
    parse(file, cache); // builds and stores the index
    const btf = parse(file, cache);
    for (const [name, want] of syn.names) expect(btf.findAllByName(name).map((t) => t.id)).toEqual(want.map((x) => x.id));
    const last = full.typeCount - 1;
    expect(btf.typeById(last)).toEqual(full.typeById(last));
    if (mapping) expect(checks()).toBeGreaterThan(0);
    else expect(checks()).toBe(0);
  });

  it('catches an index shifted by one record and replaces the cached file', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    const { parse } = loadParser(mapping);
    parse(file, cache);
    const good = readFileSync(cachePath(cache));
    writeFileSync(cachePath(cache), shiftedByOne(good, syn.blob));
    const target = 's_0100';
    const real = full.findByName(target, 'struct')!.id;
    expect(real).toBeGreaterThan(2 * STRIDE);
    const btf = parse(file, cache);
    // A lookup past the first block is answered with the real id, not the forged one.
    expect(btf.findByName(target, 'struct')?.id).toBe(real);
    expect(btf.typeCount).toBe(full.typeCount);
    expect(readFileSync(cachePath(cache)).equals(good)).toBe(true);
  });
});

describe('fileMapCheckBlocks (native walk of index blocks on a mapping)', () => {
  const syn = synthetic();
  const typeStart = syn.blob.readUInt32LE(4) + syn.blob.readUInt32LE(8);
  const typeLen = syn.blob.readUInt32LE(12);
  const offsets = recordOffsets(syn.blob);
  const count = offsets.length;
  const goodStarts = (): Uint32Array => Uint32Array.from({ length: Math.ceil(count / STRIDE) }, (_, k) => offsets[k * STRIDE]);
  const blocksOf = (blockStarts: Uint32Array, over: Partial<RecordBlocks> = {}): RecordBlocks => ({
    sectionStart: typeStart, sectionLength: typeLen, blockStarts, stride: STRIDE, count, ...over,
  });
  let dir: string;
  let m: FileMap;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'btf-check-'));
    writeFileSync(join(dir, 'vmlinux'), syn.blob);
    m = mapFileReadOnly(join(dir, 'vmlinux'), syn.blob.length)!;
    expect(m).toBeDefined();
  });
  afterAll(() => {
    m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns -1 when every block ends where the next starts', () => {
    const starts = goodStarts();
    expect(starts.length).toBeGreaterThan(3);
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(starts), 0, starts.length - 1)).toBe(-1);
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(starts), 2, 2)).toBe(-1);
  });

  it('returns the first block that does not chain', () => {
    const starts = goodStarts();
    starts[2] = offsets[2 * STRIDE + 1]; // one record on: block 1 now ends short of it
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(starts), 0, starts.length - 1)).toBe(1);
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(starts), 0, 0)).toBe(-1);
    const first = goodStarts();
    first[0] = offsets[1];
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(first), 0, 0)).toBe(0);
    // A start past the section's end.
    const past = goodStarts();
    past[1] = typeLen / 4 + 1;
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(past), 1, 1)).toBe(1);
  });

  it('returns the block whose record has an info word its kind does not allow', () => {
    const starts = goodStarts();
    const noKinds = { ...RECORD_SIZES, allowedInfo: new Uint32Array(32) };
    expect(m.checkBlocks(noKinds, blocksOf(starts), 1, 2)).toBe(1);
  });

  it('returns the block that holds fewer records than the stride', () => {
    const starts = goodStarts();
    // Claiming two more records keeps the block count but makes the last block run out.
    expect(count % STRIDE).toBeLessThan(STRIDE - 2);
    expect(m.checkBlocks(RECORD_SIZES, blocksOf(starts, { count: count + 2 }), starts.length - 1, starts.length - 1))
      .toBe(starts.length - 1);
  });

  it('refuses tables, sections and block ranges out of bounds with a RangeError', () => {
    const starts = goodStarts();
    const last = starts.length - 1;
    const bad: [string, () => number][] = [
      ['short table', () => m.checkBlocks({ ...RECORD_SIZES, fixedWords: new Uint8Array(31) }, blocksOf(starts), 0, 0)],
      ['section past the file', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts, { sectionLength: syn.blob.length }), 0, 0)],
      ['unaligned section', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts, { sectionStart: typeStart + 2 }), 0, 0)],
      ['stride 0', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts, { stride: 0 }), 0, 0)],
      ['more records than the section can hold', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts, { count: typeLen }), 0, 0)],
      ['block count not ceil(count / stride)', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts.subarray(1)), 0, 0)],
      ['toBlock past the blocks', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts), 0, last + 1)],
      ['toBlock before fromBlock', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts), 2, 1)],
      ['negative fromBlock', () => m.checkBlocks(RECORD_SIZES, blocksOf(starts), -1, 0)],
    ];
    for (const [what, call] of bad) expect([what, catchName(call)]).toEqual([what, 'RangeError']);
  });

  it('refuses typed arrays of the wrong element type with a TypeError, and a closed mapping', () => {
    const starts = goodStarts();
    expect(catchName(() => m.checkBlocks({ ...RECORD_SIZES, allowedInfo: new Uint8Array(32) as unknown as Uint32Array }, blocksOf(starts), 0, 0)))
      .toBe('TypeError');
    expect(catchName(() => m.checkBlocks(RECORD_SIZES, blocksOf(Uint16Array.from(starts) as unknown as Uint32Array), 0, 0)))
      .toBe('TypeError');
    const other = mapFileReadOnly(join(dir, 'vmlinux'), syn.blob.length)!;
    other.close();
    expect(() => other.checkBlocks(RECORD_SIZES, blocksOf(starts), 0, 0)).toThrow(/mapping is closed/);
  });
});

function catchName(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (err) {
    return (err as Error).constructor.name;
  }
}
