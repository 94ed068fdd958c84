import { readFileSync } from 'node:fs';
import { BpfError } from '../../lib/errors';
import { Fd, btfGetFdById, btfGetInfo, btfGetNextId, btfLoad, btfLoadAsync } from '../../lib/sys';
import { describeKernel, trackFds } from '../helpers/kernel';

const BTF_KIND_INT = 1;
const BTF_INT_SIGNED = 1;

/** A minimal BTF blob: header, one INT type named "int" of `bits` bits, string table. */
function intBtf(bits: number): Buffer {
  const strings = Buffer.from('\0int\0', 'latin1');
  const type = Buffer.alloc(16);
  type.writeUInt32LE(1, 0); // name_off -> "int"
  type.writeUInt32LE(BTF_KIND_INT << 24, 4); // info: kind, vlen 0
  type.writeUInt32LE(4, 8); // size
  type.writeUInt32LE((BTF_INT_SIGNED << 24) | bits, 12); // encoding, offset 0, nr_bits
  const header = Buffer.alloc(24);
  header.writeUInt16LE(0xeb9f, 0); // magic
  header.writeUInt8(1, 2); // version
  header.writeUInt32LE(24, 4); // hdr_len
  header.writeUInt32LE(0, 8); // type_off
  header.writeUInt32LE(type.length, 12); // type_len
  header.writeUInt32LE(type.length, 16); // str_off
  header.writeUInt32LE(strings.length, 20); // str_len
  return Buffer.concat([header, type, strings]);
}

describeKernel('lib/sys BTF', () => {
  const fds = trackFds();

  test('loads a hand-built BTF blob and reads it back', () => {
    const blob = intBtf(32);
    const btf = btfLoad(blob);
    fds.push(btf);
    const info = btfGetInfo(btf, { withData: true });
    expect(info).toMatchObject({ kernelBtf: false, btfSize: blob.length, name: '' });
    expect(info.id).toBeGreaterThan(0);
    expect(info.data).toEqual(blob);
    expect(btfGetInfo(btf).data).toBeUndefined();
  });

  test('a bad blob is rejected with the BTF log', () => {
    let err: unknown;
    try {
      btfLoad(intBtf(33)); // nr_bits larger than size * 8
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    const e = err as BpfError;
    expect(e).toMatchObject({ code: 'EINVAL', command: 'BPF_BTF_LOAD', errno: 22 });
    expect(e.verifierLog).toMatch(/nr_bits/);
    expect(e.message).toMatch(/nr_bits/);
  });

  test('async load and async rejection', async () => {
    const btf = await btfLoadAsync(intBtf(16));
    fds.push(btf);
    expect(btfGetInfo(btf).btfSize).toBe(intBtf(16).length);
    await expect(btfLoadAsync(intBtf(33))).rejects.toMatchObject({ code: 'EINVAL', command: 'BPF_BTF_LOAD' });
  });

  test('finds vmlinux BTF by id and reads the same bytes as /sys/kernel/btf/vmlinux', () => {
    let vmlinux: Fd | undefined;
    for (let id = btfGetNextId(0); id !== null && vmlinux === undefined; id = btfGetNextId(id)) {
      const fd = btfGetFdById(id);
      const info = btfGetInfo(fd);
      if (info.kernelBtf && info.name === 'vmlinux') vmlinux = fd;
      else fd.close();
    }
    expect(vmlinux).toBeDefined();
    fds.push(vmlinux!);
    const info = btfGetInfo(vmlinux!, { withData: true });
    const file = readFileSync('/sys/kernel/btf/vmlinux');
    expect(info.btfSize).toBe(file.length);
    expect(info.data!.equals(file)).toBe(true);
  });
});
