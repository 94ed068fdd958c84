/**
 * Which load syscalls run on the calling thread instead of the libuv pool
 * (lib/object/load): a PROG_LOAD of at most QUICK_VERIFY_INSNS instructions that runs
 * forward only, and an object BTF of at most QUICK_BTF_BYTES. test/kernel/load-threads
 * shows the threads the kernel sees.
 */
import { QUICK_BTF_BYTES, quickBtf } from '../../../lib/object/load';
import { QUICK_VERIFY_INSNS, quickToVerify } from '../../../lib/object/load/programs';

const MOV_R0_0 = Buffer.from([0xb7, 0, 0, 0, 0, 0, 0, 0]);
const JA_BACK = Buffer.from([0x05, 0, 0xfe, 0xff, 0, 0, 0, 0]); // ja -2
const EXIT = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]);
const attr = (insns: Buffer) => ({ progType: 27, insns, license: 'GPL' });
const straight = (count: number): Buffer => Buffer.concat([...Array.from({ length: count - 1 }, () => MOV_R0_0), EXIT]);

test('a forward-only program of up to QUICK_VERIFY_INSNS instructions is quick; longer or looping is not', () => {
  expect(QUICK_VERIFY_INSNS).toBe(128);
  expect(quickToVerify(attr(straight(2)))).toBe(true);
  expect(quickToVerify(attr(straight(QUICK_VERIFY_INSNS)))).toBe(true);
  expect(quickToVerify(attr(straight(QUICK_VERIFY_INSNS + 1)))).toBe(false);
  expect(quickToVerify(attr(Buffer.concat([MOV_R0_0, MOV_R0_0, JA_BACK, EXIT])))).toBe(false);
});

test('an object BTF of up to QUICK_BTF_BYTES is loaded on this thread', () => {
  expect(QUICK_BTF_BYTES).toBe(64 * 1024);
  expect(quickBtf(Buffer.alloc(QUICK_BTF_BYTES))).toBe(true);
  expect(quickBtf(Buffer.alloc(QUICK_BTF_BYTES + 1))).toBe(false);
});
