/** BPF_PROG_ASSOC_STRUCT_OPS attr bytes and the probe's decision. */
import { decideAssocStructOps } from '../../../lib/kernel';
import { BpfCmd, encodeProgAssocStructOpsAttr } from '../../../lib/sys';

describe('BPF_PROG_ASSOC_STRUCT_OPS', () => {
  test('is command 38 with map_fd@0, prog_fd@4, flags@8 (12 bytes)', () => {
    expect(BpfCmd.PROG_ASSOC_STRUCT_OPS).toBe(38);
    const enc = encodeProgAssocStructOpsAttr(7, 9, 0);
    expect(enc.attr.length).toBe(12);
    expect(enc.attr.readUInt32LE(0)).toBe(9); // map
    expect(enc.attr.readUInt32LE(4)).toBe(7); // prog
    expect(enc.attr.readUInt32LE(8)).toBe(0);
    expect(enc.buffers).toEqual([]);
  });

  test('the probe: EBADF (fd lookup reached) means supported, EINVAL (unknown command) not', () => {
    expect(decideAssocStructOps('EBADF')).toBe(true);
    expect(decideAssocStructOps('EINVAL')).toBe(false);
    expect(() => decideAssocStructOps('EPERM')).toThrow(/unexpected EPERM/);
  });
});
