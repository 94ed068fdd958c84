/**
 * Per-map `autocreate` and per-program `autoload` switches on the object (not its spec):
 * a struct_ops map left out takes the programs only it uses with it, a `?.struct_ops` map
 * can be asked for, and a plain map left out must not be used by a loading program.
 */
import { execFileSync } from 'node:child_process';
import { openObject } from '../../lib';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';
import { kernelArgNullable } from '../helpers/features';

const OBJ = fixture('s10a_pick');

function kernelMapNames(): string[] {
  const out = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as { name?: string }[];
  return out.map((m) => m.name ?? '');
}

describeKernel('autocreate / autoload switches', () => {
  // bad_test_1 reads test_1's argument unchecked: invalid where the kernel marks that
  // argument nullable (6.10+, read from its BTF); older verifiers accept it.
  const nullable = kernelArgNullable('bpf_dummy_ops', 'test_1');
  test(`with every map created the deliberately invalid program ${nullable ? 'fails the load' : 'loads (no nullable args here)'}`, async () => {
    const obj = await openObject(OBJ);
    try {
      if (!nullable) {
        await obj.load();
        expect(obj.programs.get('bad_test_1')!.loaded).toBe(true);
        return;
      }
      await expect(obj.load()).rejects.toMatchObject({ program: 'bad_test_1', command: 'BPF_PROG_LOAD' });
    } finally {
      obj.close();
    }
  });

  test('leaving the bad map out drops its own program and map, keeps the shared one', async () => {
    const obj = await openObject(OBJ);
    try {
      const bad = obj.structOps.get('s10a_pick_bad')!;
      expect(bad.autocreate).toBe(true);
      bad.autocreate = false;
      obj.maps.get('.data.s10a_bad')!.autocreate = false;
      expect(obj.structOps.get('s10a_pick_opt')!.autocreate).toBe(false); // ?.struct_ops
      await obj.load();
      // The spec (the reusable blueprint) is untouched.
      expect(obj.spec.structOps.find((s) => s.name === 's10a_pick_bad')!.autocreate).toBe(true);

      expect(obj.programs.get('bad_test_1')!.loaded).toBe(false);
      expect(obj.programs.get('opt_test_1')!.loaded).toBe(false);
      expect(obj.programs.get('shared_test_2')!.loaded).toBe(true);
      expect(bad.loaded).toBe(false);
      expect(obj.maps.get('.data.s10a_bad')!.loaded).toBe(false);
      const names = kernelMapNames();
      const bss = obj.maps.get('.bss')!.kernelName;
      const badData = obj.maps.get('.data.s10a_bad')!.kernelName;
      expect(names).toEqual(expect.arrayContaining(['s10a_pick_good', bss]));
      expect(names).not.toContain('s10a_pick_bad');
      expect(names).not.toContain(badData);
      expect(names).not.toContain('s10a_pick_opt');

      // The loaded programs work: the good map's test_1 counts through its array map.
      expect(obj.programs.get('good_test_1')!.testRun({ ctxIn: [0] }).retval).toBe(11);
      expect(obj.programs.get('good_test_1')!.testRun({ ctxIn: [0] }).retval).toBe(12);
      expect(obj.programs.get('shared_test_2')!.testRun({ ctxIn: [Buffer.alloc(4), 5, 0, 0, 0] }).retval).toBe(27);

      expect(() => { bad.autocreate = true; }).toThrow(expect.objectContaining({ code: 'EBUSY' }));
      expect(() => { obj.programs.get('bad_test_1')!.autoload = true; }).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    } finally {
      obj.close();
    }
    expect(kernelMapNames()).not.toContain('s10a_pick_good');
  });

  test('a ?.struct_ops map switched on is created and its program loads', async () => {
    const obj = await openObject(OBJ);
    try {
      obj.structOps.get('s10a_pick_bad')!.autocreate = false;
      obj.structOps.get('s10a_pick_opt')!.autocreate = true;
      await obj.load();
      expect(obj.structOps.get('s10a_pick_opt')!.loaded).toBe(true);
      expect(obj.programs.get('opt_test_1')!.testRun({ ctxIn: [0] }).retval).toBe(33);
      // .data.s10a_bad stays created (nobody switched it off), though no program uses it.
      expect(obj.maps.get('.data.s10a_bad')!.loaded).toBe(true);
    } finally {
      obj.close();
    }
  });

  test('a plain map left out while a loading program uses it is an EINVAL naming both', async () => {
    const obj = await openObject(OBJ);
    try {
      obj.structOps.get('s10a_pick_bad')!.autocreate = false;
      obj.maps.get('.bss')!.autocreate = false;
      await expect(obj.load()).rejects.toMatchObject({
        code: 'EINVAL', program: 'good_test_1', map: '.bss', hint: expect.stringContaining('autoload = false'),
      });
    } finally {
      obj.close();
    }
  });

  test('autoload=false on a program a created map uses is refused; non-booleans are refused', async () => {
    const obj = await openObject(OBJ);
    try {
      expect(() => { obj.maps.get('.bss')!.autocreate = 0 as unknown as boolean; }).toThrow(/must be a boolean/);
      obj.structOps.get('s10a_pick_bad')!.autocreate = false;
      obj.programs.get('good_test_1')!.autoload = false;
      await expect(obj.load()).rejects.toMatchObject({ code: 'EINVAL', program: 'good_test_1' });
    } finally {
      obj.close();
    }
  });
});
