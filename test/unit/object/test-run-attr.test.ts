/** BPF_PROG_TEST_RUN attr bytes: every field at its union bpf_attr.test offset. */
import { encodeProgTestRunAttr } from '../../../lib/sys';

describe('encodeProgTestRunAttr', () => {
  test('sizes come from the Buffers and each field lands at its UAPI offset', () => {
    const dataIn = Buffer.alloc(14);
    const dataOut = Buffer.alloc(32);
    const ctxIn = Buffer.alloc(40);
    const ctxOut = Buffer.alloc(24);
    const state = Buffer.alloc(4);
    const enc = encodeProgTestRunAttr({
      progFd: 7, dataIn, dataOut, ctxIn, ctxOut, repeat: 5, flags: 1, cpu: 3, batchSize: 9, state,
    });
    const a = enc.attr;
    expect(a.length).toBe(80); // sizeof the test struct of union bpf_attr (padding included)
    expect(a.readUInt32LE(0)).toBe(7);
    expect(a.readUInt32LE(4)).toBe(0); // retval (out)
    expect(a.readUInt32LE(8)).toBe(14); // data_size_in
    expect(a.readUInt32LE(12)).toBe(32); // data_size_out
    expect(a.readBigUInt64LE(16)).toBe(0n); // data_in: the addon writes the address
    expect(a.readBigUInt64LE(24)).toBe(0n);
    expect(a.readUInt32LE(32)).toBe(5); // repeat
    expect(a.readUInt32LE(36)).toBe(0); // duration (out)
    expect(a.readUInt32LE(40)).toBe(40); // ctx_size_in
    expect(a.readUInt32LE(44)).toBe(24); // ctx_size_out
    expect(a.readBigUInt64LE(48)).toBe(0n);
    expect(a.readBigUInt64LE(56)).toBe(0n);
    expect(a.readUInt32LE(64)).toBe(1); // flags
    expect(a.readUInt32LE(68)).toBe(3); // cpu
    expect(a.readUInt32LE(72)).toBe(9); // batch_size
    expect(enc.buffers).toEqual([dataIn, dataOut, ctxIn, ctxOut, state]);
  });

  test('absent Buffers are null holes, with the state still in slot 4', () => {
    const state = Buffer.alloc(4);
    const enc = encodeProgTestRunAttr({ progFd: 3, ctxIn: Buffer.alloc(8), state });
    expect(enc.buffers).toEqual([null, null, enc.buffers[2], null, state]);
    expect(enc.attr.readUInt32LE(40)).toBe(8);
    expect(encodeProgTestRunAttr({ progFd: 3 }).buffers).toEqual([]);
  });
});
