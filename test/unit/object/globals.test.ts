import { BpfError } from '../../../lib/errors';
import { openObject } from '../../../lib/object';
import { fixture } from '../../helpers/fixtures';

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
