import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '../../../lib/btf';
import { parseElf } from '../../../lib/elf';
import { synthetic } from './synthetic';

/**
 * An eager parse checks records with a quick pass and decodes only what it flags; it must
 * accept and reject exactly what decoding every record in id order did, with the same error.
 */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; code?: string; typeId?: number; offset?: number; message?: string };
    return JSON.stringify([e.name, e.code, e.typeId, e.offset, e.message]);
  }
}

function decodeEverything(blob: Buffer): void {
  const btf = Btf.parse(blob, { lazy: true });
  for (let id = 1; id < btf.typeCount; id++) btf.typeById(id);
}

const fixtures: [string, Buffer][] = [
  ['sample.btf', readFileSync(join(__dirname, '../../fixtures/btf/sample.btf'))],
  ['synthetic', synthetic().blob],
  ['cubic .BTF', Buffer.from(parseElf(readFileSync(join(__dirname, '../../fixtures/bpf/cubic.bpf.o'))).section('.BTF')!.data)],
];

describe('eager BTF parse (quick check, lazy decode)', () => {
  it.each(fixtures)('%s: same verdict and error as decoding every record, for 3000 corruptions', (_name, blob) => {
    expect(outcome(() => Btf.parse(blob))).toBe('ok');
    const hdrLen = blob.readUInt32LE(4);
    const typeStart = hdrLen + blob.readUInt32LE(8);
    const typeWords = blob.readUInt32LE(12) / 4;
    const strLen = blob.readUInt32LE(20);
    const count = Btf.parse(blob).typeCount;
    const interesting = [0, 1, 2, 0xffffffff, 0x7fffffff, count - 1, count, count + 1, strLen - 1, strLen, strLen + 1,
      0x01000020, 0x80000000, 0xfffffffe, 0xff];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let rejected = 0;
    for (let round = 0; round < 3000; round++) {
      const bad = Buffer.from(blob);
      const edits = 1 + rand(2);
      for (let e = 0; e < edits; e++) {
        const at = typeStart + rand(typeWords) * 4;
        const value = rand(3) === 0 ? rand(0x100000000) : interesting[rand(interesting.length)];
        bad.writeUInt32LE(value >>> 0, at);
      }
      const want = outcome(() => decodeEverything(bad));
      expect(outcome(() => Btf.parse(bad))).toBe(want);
      if (want !== 'ok') rejected++;
    }
    // The corruptions must actually exercise the error paths.
    expect(rejected).toBeGreaterThan(300);
  });

  it('decodes lazily but hands out the same types as before', () => {
    for (const [, blob] of fixtures) {
      const eager = Btf.parse(blob);
      const lazy = Btf.parse(blob, { lazy: true });
      expect([...eager.types()]).toEqual([...lazy.types()]);
      expect(eager.typeById(1)).toBe(eager.typeById(1));
    }
  });
});
