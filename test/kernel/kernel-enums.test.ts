/**
 * `.rodata` constants from kernel enumerators (sched_ext's SCX_ENUM_INIT), and setGlobals
 * taking a signed enumerator value for an unsigned 64-bit constant.
 */
import { execFileSync } from 'node:child_process';
import { openObject } from '../../lib';
import { describeKernel, kernelAvailable } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

/**
 * The running kernel's enumerators, read by bpftool (an independent BTF reader): the values
 * differ between releases (PERF_EVENT_STATE_DEAD is -4 before 6.14's REVOKED state, -5
 * after; BPF_STRUCT_OPS is absent before 6.4), so the expectations come from the kernel.
 */
function kernelEnumerators(names: string[]): Map<string, bigint> {
  const raw = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const found = new Map<string, bigint>();
  for (const m of raw.matchAll(/^\t'([A-Za-z_0-9]+)' val=(-?[0-9]+)(?:ULL|LL)?$/gm)) {
    if (names.includes(m[1]) && !found.has(m[1])) found.set(m[1], BigInt(m[2]));
  }
  return found;
}

describeKernel('setGlobalsFromKernelEnums', () => {
  const kernel = kernelAvailable ? kernelEnumerators(['PERF_CONTEXT_KERNEL', 'PERF_EVENT_STATE_DEAD', 'CPUHP_INVALID', 'BPF_STRUCT_OPS']) : new Map<string, bigint>();
  const k = (name: string): bigint | null => kernel.get(name) ?? null;

  test('each __NAME constant gets the kernel enumerator NAME (wrapped to its width), 0 where absent', async () => {
    // Every kernel of the matrix has these three; a parse that found nothing would pass vacuously.
    expect(k('PERF_CONTEXT_KERNEL')).toBe(0xffffffffffffff80n);
    expect(k('CPUHP_INVALID')).toBe(-1n);
    expect(k('PERF_EVENT_STATE_DEAD')).not.toBeNull();
    const obj = await openObject(fixture('s10a_enums'));
    try {
      const found = obj.setGlobalsFromKernelEnums('.rodata');
      expect(found).toEqual({
        __PERF_CONTEXT_KERNEL: k('PERF_CONTEXT_KERNEL'),
        __PERF_EVENT_STATE_DEAD: k('PERF_EVENT_STATE_DEAD'),
        __CPUHP_INVALID: k('CPUHP_INVALID'),
        __BPF_STRUCT_OPS: k('BPF_STRUCT_OPS'),
        __SO_NO_SUCH_ENUMERATOR: null,
      });
      await obj.load();
      // What the kernel holds, and what the verifier saw as constants.
      const ro = obj.readGlobals('.rodata');
      expect(ro).toMatchObject({
        __PERF_CONTEXT_KERNEL: 0xffffffffffffff80n, __PERF_EVENT_STATE_DEAD: BigInt.asUintN(64, k('PERF_EVENT_STATE_DEAD')!),
        __CPUHP_INVALID: -1, __BPF_STRUCT_OPS: Number(k('BPF_STRUCT_OPS') ?? 0n), __SO_NO_SUCH_ENUMERATOR: 0n, plain_tunable: 3,
      });
      // The program's checksum: one bit per constant equal to the value 6.18 has (see the C).
      const sum = 1 + (k('PERF_EVENT_STATE_DEAD') === -5n ? 2 : 0) + 4 + (k('BPF_STRUCT_OPS') === 44n ? 8 : 0) + 16 + 32;
      expect(obj.programs.get('enums_test_1')!.testRun({ ctxIn: [0] }).retval).toBe(sum);
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
