/**
 * `.rodata` constants from kernel enumerators (sched_ext's SCX_ENUM_INIT), and setGlobals
 * taking a signed enumerator value for an unsigned 64-bit constant.
 */
import { openObject } from '../../lib';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

describeKernel('setGlobalsFromKernelEnums', () => {
  test('each __NAME constant gets the kernel enumerator NAME (wrapped to its width), 0 where absent', async () => {
    const obj = await openObject(fixture('s10a_enums'));
    try {
      const found = obj.setGlobalsFromKernelEnums('.rodata');
      expect(found).toEqual({
        __PERF_CONTEXT_KERNEL: 0xffffffffffffff80n,
        __PERF_EVENT_STATE_DEAD: -5n,
        __CPUHP_INVALID: -1n,
        __BPF_STRUCT_OPS: 44n,
        __SO_NO_SUCH_ENUMERATOR: null,
      });
      await obj.load();
      // What the kernel holds, and what the verifier saw as constants (every check true).
      const ro = obj.readGlobals('.rodata');
      expect(ro).toMatchObject({
        __PERF_CONTEXT_KERNEL: 0xffffffffffffff80n, __PERF_EVENT_STATE_DEAD: 0xfffffffffffffffbn,
        __CPUHP_INVALID: -1, __BPF_STRUCT_OPS: 44, __SO_NO_SUCH_ENUMERATOR: 0n, plain_tunable: 3,
      });
      expect(obj.programs.get('enums_test_1')!.testRun({ ctxIn: [0] }).retval).toBe(63);
    } finally {
      obj.close();
    }
  });

  test('setGlobals: a negative value for a u64 is its two\'s complement; below -2^63 and for narrower unsigned types ERANGE', async () => {
    const obj = await openObject(fixture('s10a_enums'));
    try {
      obj.setGlobals('.rodata', { __PERF_EVENT_STATE_DEAD: -5n, __PERF_CONTEXT_KERNEL: -128 });
      expect(obj.maps.get('.rodata')!.initialData!.readBigUInt64LE(8)).toBe(0xfffffffffffffffbn);
      expect(obj.maps.get('.rodata')!.initialData!.readBigUInt64LE(0)).toBe(0xffffffffffffff80n);
      expect(() => obj.setGlobals('.rodata', { __PERF_EVENT_STATE_DEAD: -(1n << 63n) - 1n })).toThrow(expect.objectContaining({ code: 'ERANGE' }));
      expect(() => obj.setGlobals('.rodata', { __BPF_STRUCT_OPS: -1 })).toThrow(expect.objectContaining({ code: 'ERANGE' }));
      expect(() => obj.setGlobalsFromKernelEnums('.nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    } finally {
      obj.close();
    }
  });
});
