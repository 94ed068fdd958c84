/**
 * BPF_PROG_TEST_RUN through program.testRun(), tested the way the kernel's own
 * dummy_st_ops selftests do: u64 arguments in ctx_in, a struct bpf_dummy_ops_state copied
 * in and out through the first argument, the return value checked; the sleepable member
 * too. bpf_dummy_ops itself cannot be registered (EOPNOTSUPP, with a hint that says so).
 */
import { openObject, type BpfObject } from '../../lib';
import { nativeAddon, BpfCmd, encodeProgTestRunAttr } from '../../lib/sys';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';
import { kernelStructHasMember } from '../helpers/features';

function state(val: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(val);
  return b;
}

const hasSleepable = kernelStructHasMember('bpf_dummy_ops', 'test_sleepable');

describeKernel('program.testRun on bpf_dummy_ops', () => {
  let obj: BpfObject;
  let fdsBefore = 0;
  beforeAll(async () => {
    fdsBefore = openFdCount();
    obj = await openObject(fixture('dummy_st_ops'));
    // test_sleepable is a 6.3+ member (read from the kernel's BTF): leave it out where absent.
    if (!hasSleepable) obj.structOps.get('dummy_s10a')!.value.test_sleepable = null;
    await obj.load();
  });
  afterAll(() => {
    obj.close();
    // At most the baseline: the lazily read kernel BTF file (read for hasSleepable) may close meanwhile.
    expect(openFdCount()).toBeLessThanOrEqual(fdsBefore);
  });
  const prog = (name: string) => obj.programs.get(name)!;

  test('test_1 without state gets NULL and returns its sentinel', () => {
    expect(prog('dummy_test_1').testRun({ ctxIn: [0] }).retval).toBe(0xf2f3f4f5);
  });

  test('test_1 reads the state copied in and the kernel copies its write back out', () => {
    const s = state(-7);
    const r = prog('dummy_test_1').testRun({ ctxIn: [s] });
    expect(r.retval | 0).toBe(-7);
    expect(s.readInt32LE(0)).toBe(0x5a);
  });

  test('test_2 sees each scalar argument with its C type, returns their sum through state', () => {
    const s = state(0);
    // int, unsigned short, char, unsigned long: the kernel passes each u64 as the member's type.
    const r = prog('dummy_test_2').testRun({ ctxIn: [s, 1, 2, 3, 4] });
    expect(r.retval).toBe(10);
    expect(s.readInt32LE(0)).toBe(10);
    expect(obj.readGlobals('.bss').test_2_args).toEqual([1n, 2n, 3n, 4n]);
    const s2 = state(0);
    // -5 as int, 0x10002 truncated to unsigned short 2, bigint for the u64.
    prog('dummy_test_2').testRun({ ctxIn: [s2, -5, 0x10002, 3, 4n] });
    expect(s2.readInt32LE(0)).toBe(-5 + 2 + 3 + 4);
  });

  test(hasSleepable ? 'the sleepable member (struct_ops.s) runs and counts'
    : 'a kernel without test_sleepable: the set member is refused, naming it', async () => {
    if (!hasSleepable) {
      const other = await openObject(fixture('dummy_st_ops'));
      try {
        await expect(other.load()).rejects.toMatchObject({ member: 'test_sleepable', message: expect.stringContaining('has no member test_sleepable') });
      } finally {
        other.close();
      }
      return;
    }
    const before = obj.readGlobals('.bss').sleepable_runs as bigint;
    expect(prog('dummy_test_sleepable').testRun({ ctxIn: [state(41)] }).retval).toBe(42);
    expect(prog('dummy_test_sleepable').info().name).toBe('dummy_test_slee');
    expect(obj.readGlobals('.bss').sleepable_runs).toBe(before + 1n);
  });

  test('a ctx_in whose length is not one u64 per member argument is the kernel EINVAL, with a hint', () => {
    expect(() => prog('dummy_test_2').testRun({ ctxIn: [state(0), 1] })).toThrow(expect.objectContaining({
      code: 'EINVAL', command: 'BPF_PROG_TEST_RUN', program: 'dummy_test_2', hint: expect.stringContaining('one u64 per argument'),
    }));
  });

  test('a Buffer anywhere but the first struct_ops argument is refused before the syscall', () => {
    expect(() => prog('dummy_test_2').testRun({ ctxIn: [state(0), state(1), 2, 3, 4] })).toThrow(expect.objectContaining({
      code: 'EINVAL', message: expect.stringContaining('ctxIn[1] is a Buffer'),
    }));
    expect(() => prog('dummy_test_1').testRun({ ctxIn: [1n << 64n] })).toThrow(/fits 64 bits/);
    expect(() => prog('dummy_test_1').testRun({ ctxOut: 0 })).toThrow(/positive byte count/);
  });

  test('the addon refuses a user address in args[0] and a state for a non-struct_ops use', () => {
    const addon = nativeAddon();
    const fd = prog('dummy_test_1').fd;
    // A raw address JS made up: the kernel would copy_to_user through it.
    const ctx = Buffer.alloc(8);
    ctx.writeBigUInt64LE(0x1000n);
    const enc = encodeProgTestRunAttr({ progFd: fd, ctxIn: ctx });
    expect(() => addon.bpf(BpfCmd.PROG_TEST_RUN, enc.attr, enc.buffers)).toThrow(/args\[0\] of a struct_ops program is a pointer/);
    // data_out with data_size_out 0 would let the kernel write its whole output.
    const enc2 = encodeProgTestRunAttr({ progFd: fd, ctxIn: Buffer.alloc(8), dataOut: Buffer.alloc(4) });
    enc2.attr.writeUInt32LE(0, 12);
    expect(() => addon.bpf(BpfCmd.PROG_TEST_RUN, enc2.attr, enc2.buffers)).toThrow(/data_size_out must be non-zero/);
    // ctx_size_in larger than the Buffer.
    const enc3 = encodeProgTestRunAttr({ progFd: fd, ctxIn: Buffer.alloc(8) });
    enc3.attr.writeUInt32LE(64, 40);
    expect(() => addon.bpf(BpfCmd.PROG_TEST_RUN, enc3.attr, enc3.buffers)).toThrow(/is 8 bytes but the kernel would write 64/);
    // A state with no ctx_in to point from.
    const enc4 = encodeProgTestRunAttr({ progFd: fd, state: state(1) });
    expect(() => addon.bpf(BpfCmd.PROG_TEST_RUN, enc4.attr, enc4.buffers)).toThrow(/needs ctx_in/);
    // Not a program fd.
    const rodata = obj.maps.get('.bss')!.fd;
    const enc5 = encodeProgTestRunAttr({ progFd: rodata });
    expect(() => addon.bpf(BpfCmd.PROG_TEST_RUN, enc5.attr, enc5.buffers)).toThrow(/not a BPF program/);
  });

  test('registering bpf_dummy_ops fails with EOPNOTSUPP and the hint says it can only be test-run', async () => {
    await expect(obj.structOps.get('dummy_s10a')!.attach()).rejects.toMatchObject({
      code: 'EOPNOTSUPP', map: 'dummy_s10a', hint: expect.stringContaining('can only be test-run'),
    });
  });
});
