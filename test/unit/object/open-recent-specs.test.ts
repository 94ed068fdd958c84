/**
 * openObject(path) parses a file once per process while its bytes stay the same (the spec
 * is a frozen blueprint, so objects can share it), and parses again as soon as they change.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObject } from '../../../lib';
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
