import { Btf, BtfKind } from '../../../lib/btf';
import { parseElf } from '../../../lib/elf';
import { BpfError } from '../../../lib/errors';
import { openObject } from '../../../lib/object';
import { fixture } from '../../helpers/fixtures';
import { ObjectBytes } from '../../helpers/object-bytes';

describe('setGlobals before load (no kernel)', () => {
  test('writes typed values at the variables\' offsets', async () => {
    const obj = await openObject(fixture('cubic'));
    obj.setGlobals('.rodata', { beta: 800, fast_convergence: false, initial_ssthresh: 7 });
    const rodata = obj.maps.get('.rodata')!.initialData!;
    // The edit lives in the object; the spec keeps the file's bytes (beta 717).
    expect(obj.maps.get('.rodata')!.spec.initialData!.readUInt32LE(0)).toBe(717);
    expect(rodata.readUInt32LE(0)).toBe(800); // beta @0
    expect(rodata[8]).toBe(0); // fast_convergence @8
    expect(rodata.readUInt32LE(12)).toBe(7); // initial_ssthresh @12
    obj.setGlobals('.data', { epoch_resets: 5n });
    expect(obj.maps.get('.data')!.initialData!.readBigUInt64LE(8)).toBe(5n);
  });

  test('rejects out-of-range values, unknown names and sections', async () => {
    const obj = await openObject(fixture('cubic'));
    expect(() => obj.setGlobals('.rodata', { beta: -1 })).toThrow(expect.objectContaining({
      code: 'ERANGE', message: expect.stringMatching(/beta .*takes an integer in 0\.\.4294967295, got -1/),
    }));
    expect(() => obj.setGlobals('.rodata', { beta: 1.5 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => obj.setGlobals('.rodata', { fast_convergence: 'yes' })).toThrow(/takes true or false/);
    expect(() => obj.setGlobals('.rodata', { betta: 1 })).toThrow(expect.objectContaining({ code: 'ENOENT', hint: expect.stringContaining('beta') }));
    expect(() => obj.setGlobals('.nope', { x: 1 })).toThrow(BpfError);
    expect(() => obj.setGlobals('.bss', { cwnd_samples: 1 })).toThrow(expect.objectContaining({
      code: 'EOPNOTSUPP', message: expect.stringMatching(/cwnd_samples .*read-only/),
    }));
  });
});

describe('setGlobals on a function pointer', () => {
  test('is refused with a BpfError naming the variable (there is no program binding in global data)', async () => {
    const o = ObjectBytes.fixture('cubic');
    const btf = Btf.parse(parseElf(o.buf, 'cubic').section('.BTF')!.data, { name: 'cubic' });
    // A pointer to a function prototype: the type of every struct_ops callback member.
    let fnPtr = 0;
    for (let id = 1; id < btf.typeCount && fnPtr === 0; id++) {
      const t = btf.typeById(id);
      if (t.kind === BtfKind.PTR && btf.resolve(t.type).kind === BtfKind.FUNC_PROTO) fnPtr = id;
    }
    expect(fnPtr).toBeGreaterThan(0);
    o.buf.writeUInt32LE(fnPtr, o.btfType('min_cnt', BtfKind.VAR).at + 8);
    const obj = await openObject(o.buf);
    try {
      let caught: unknown;
      try {
        obj.setGlobals('.data', { min_cnt: 1 });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(BpfError);
      expect(caught).toMatchObject({ code: 'EINVAL', section: '.data', message: expect.stringMatching(/^\.data variable min_cnt \(.*\) is a function pointer/) });
    } finally {
      obj.close();
    }
  });
});
