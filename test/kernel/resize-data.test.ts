/**
 * obj.resizeGlobals(): a data section sized before load (sched_ext's `.data.uei_dump`).
 * The kernel map, the BTF the verifier checks accesses against, and the initial value all
 * take the new size, and a program indexing past the old end is accepted and works.
 */
import { execFileSync } from 'node:child_process';
import { openObject } from '../../lib';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

const OBJ = fixture('s10a_resize');

describeKernel('resizing a data section before load', () => {
  test('at the size in the file, the program indexing up to 4096 is refused by the verifier', async () => {
    const obj = await openObject(OBJ);
    try {
      await expect(obj.load()).rejects.toMatchObject({
        program: 'resize_test_2', verifierLog: expect.stringMatching(/invalid access to map value.*value_size=20/),
      });
    } finally {
      obj.close();
    }
  });

  test('grown to 4 + 4096 bytes, the program loads and writes past the old end', async () => {
    const obj = await openObject(OBJ);
    try {
      obj.resizeGlobals('.data.s10a_buf', 4 + 4096);
      const map = obj.maps.get('.data.s10a_buf')!;
      expect(map.valueSize).toBe(4100);
      expect(obj.spec.maps.find((m) => m.name === '.data.s10a_buf')!.valueSize).toBe(20); // spec untouched
      await obj.load();
      expect(map.info().valueSize).toBe(4100);
      const r = obj.programs.get('resize_test_2')!.testRun({ ctxIn: [Buffer.alloc(4), 4000, 0, 9, 0] });
      expect(r.retval).toBe(6 + 7); // the other sections' initial values are intact
      const value = map.lookup(0)!;
      expect(value.length).toBe(4100);
      expect(value.readInt32LE(0)).toBe(0x11223344); // initial value kept...
      expect(value[4]).toBe(1);
      expect(value[4 + 4000]).toBe(9); // ...and the program wrote past the old 20 bytes
      // The kernel's BTF of the map: the DATASEC is 4100 bytes, its last VAR an array of 4096.
      const info = map.info();
      const dump = JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'id', String(info.btfId)], { encoding: 'utf8' }));
      const types = dump.types as { id: number; kind: string; name?: string; size?: number; type_id?: number; nr_elems?: number }[];
      const byId = new Map(types.map((t) => [t.id, t]));
      expect(byId.get(info.btfValueTypeId)).toMatchObject({ kind: 'DATASEC', name: '.data.s10a_buf', size: 4100 });
      const v = types.find((t) => t.kind === 'VAR' && t.name === 's10a_buf')!;
      expect(byId.get(v.type_id!)).toMatchObject({ kind: 'ARRAY', nr_elems: 4096 });
    } finally {
      obj.close();
    }
  });

  test('shrinking cuts the initial value; steps follow the array element size', async () => {
    const obj = await openObject(OBJ);
    try {
      obj.resizeGlobals('.data.s10a_words', 8);
      expect(obj.maps.get('.data.s10a_words')!.valueSize).toBe(8);
      obj.resizeGlobals('.data.s10a_words', 24);
      expect(obj.maps.get('.data.s10a_words')!.valueSize).toBe(24);
      expect(() => obj.resizeGlobals('.data.s10a_words', 20)).toThrow(expect.objectContaining({
        code: 'EINVAL', message: expect.stringContaining('not a whole number'),
      }));
      expect(() => obj.resizeGlobals('.data.s10a_words', 4)).toThrow(/not a whole number/);
      expect(() => obj.resizeGlobals('.data.s10a_tail', 8)).toThrow(expect.objectContaining({
        code: 'EINVAL', message: expect.stringContaining('s10a_tail is not an array'),
      }));
      expect(() => obj.resizeGlobals('.data.s10a_buf', 0)).toThrow(/positive integer/);
      expect(() => obj.resizeGlobals('.data.s10a_buf', 2 ** 31)).toThrow(/positive integer/);
      expect(() => obj.resizeGlobals('.data.nope', 8)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      obj.resizeGlobals('.data.s10a_buf', 4100);
      await obj.load();
      // Shrunk to one element: the second word (6) is gone, the first (5) kept.
      expect(obj.maps.get('.data.s10a_words')!.lookup(0)!.readBigUInt64LE(0)).toBe(5n);
      expect(obj.maps.get('.data.s10a_words')!.lookup(0)!.length).toBe(24);
      expect(() => obj.resizeGlobals('.data.s10a_buf', 64)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    } finally {
      obj.close();
    }
  });
});
