/**
 * openObject(path) parses a file once per process while its bytes stay the same (the spec
 * is a frozen blueprint, so objects can share it), and parses again as soon as they change.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObject } from '../../../lib';
import { parseElf } from '../../../lib/elf';
import { loadObjectSpec } from '../../../lib/object/open';
import type { ObjectSpec } from '../../../lib/object/spec';
import { fixture } from '../../helpers/fixtures';

describe('openObject reuses the spec of unchanged bytes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recent-specs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the same file twice: one spec, two independent objects', async () => {
    const path = join(dir, 'reno.bpf.o');
    copyFileSync(fixture('reno'), path);
    const a = await openObject(path);
    const b = await openObject(path);
    expect(b.spec).toBe(a.spec);
    expect(b).not.toBe(a);
    a.close();
    expect(b.structOps.get('reno')).toBeDefined();
    b.close();
  });

  test('a file whose bytes changed is parsed again', async () => {
    const path = join(dir, 'swap.bpf.o');
    copyFileSync(fixture('reno'), path);
    const first = (await openObject(path)).spec;
    copyFileSync(fixture('cubic'), path);
    const second = (await openObject(path)).spec;
    expect(second).not.toBe(first);
    expect(second.structOps.map((s) => s.name)).toContain('cubic_legacy');
    // One byte of the same size is enough: the comparison is of the bytes, not the size or
    // time. Here a byte of e_ident's padding (EI_PAD, bytes 9-15), which readers ignore.
    const bytes = readFileSync(fixture('cubic'));
    expect(bytes[12]).toBe(0);
    bytes[12] = 1;
    writeFileSync(path, bytes);
    const third = (await openObject(path)).spec;
    expect(third).not.toBe(second);
  });

  test('bytes passed as a Buffer are copied: changing the caller\'s Buffer later is a new parse', async () => {
    const bytes = readFileSync(fixture('reno'));
    const first = (await openObject(bytes, { name: 'mine.bpf.o' })).spec;
    expect((await openObject(bytes, { name: 'mine.bpf.o' })).spec).toBe(first);
    const at = bytes.indexOf(Buffer.from('reno'));
    bytes[at] = 'R'.charCodeAt(0);
    expect((await openObject(bytes, { name: 'mine.bpf.o' })).spec).not.toBe(first);
  });

  test('keeps only the last few names', async () => {
    const bytes = readFileSync(fixture('reno'));
    const first = (await openObject(bytes, { name: 'n0.bpf.o' })).spec;
    for (let i = 1; i <= 8; i++) await openObject(bytes, { name: `n${i}.bpf.o` });
    expect((await openObject(bytes, { name: 'n0.bpf.o' })).spec).not.toBe(first);
  });
});

describe('a spec owns its bytes', () => {
  /** Every Buffer a spec holds, as hex: instructions, map initial data, BTF. */
  const bytesOf = (spec: ObjectSpec): string => JSON.stringify([
    spec.functions.map((f) => f.insns.toString('hex')),
    spec.maps.map((m) => m.initialData?.toString('hex') ?? null),
    spec.btf.raw.toString('hex'),
  ]);

  test('loadObjectSpec(bytes): writing into the caller\'s Buffer afterwards changes nothing in the spec', () => {
    const bytes = readFileSync(fixture('cubic'));
    const spec = loadObjectSpec(bytes, 'cubic.bpf.o');
    const before = bytesOf(spec);
    bytes.fill(0x55);
    expect(bytesOf(spec)).toBe(before);
  });

  test('openObject(bytes), the Buffer reused for other bytes, then the first bytes again: the reused spec is intact', async () => {
    const original = readFileSync(fixture('reno'));
    const reused = Buffer.from(original);
    const a = await openObject(reused, { name: 'owned.bpf.o' });
    const want = bytesOf(a.spec);
    reused.fill(0x55);
    expect(bytesOf(a.spec)).toBe(want);
    const b = await openObject(original, { name: 'owned.bpf.o' });
    expect(b.spec).toBe(a.spec);
    expect(bytesOf(b.spec)).toBe(want);
    expect(b.spec.functions.map((f) => f.insns.equals(parseElfFunctionBytes(original, f.section, f.insnOffset, f.insns.length)))).not.toContain(false);
    a.close();
    b.close();
  });
});

/** The bytes of one function as the ELF file holds them (section data at the function's offset). */
function parseElfFunctionBytes(file: Buffer, section: string, insnOffset: number, length: number): Buffer {
  const data = parseElf(file, 'f').section(section)!.data;
  return data.subarray(insnOffset * 8, insnOffset * 8 + length);
}
