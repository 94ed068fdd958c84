/**
 * The addon's pointer checks, driven through its raw bpf()/bpfAsync() exports: whatever
 * the attr bytes and Buffers say, the kernel must never be handed memory outside a Buffer.
 * Refusals carry `preflight: true`; everything else came from the kernel.
 */
import { BPF_ATTR } from '../../lib/sys/abi.generated';
import { BpfMapType, BpfProgType, Fd, mapCreate, mapLookupElem, nativeAddon, progLoad } from '../../lib/sys';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { kernelAtLeast } from '../helpers/features';

interface RawError {
  errno: number;
  code: string;
  command: number;
  syscall: string;
  preflight: boolean;
  detail?: string;
}

const CMD = { MAP_CREATE: 0, LOOKUP: 1, UPDATE: 2, GET_NEXT_KEY: 4, PROG_LOAD: 5, OBJ_PIN: 6, PROG_ATTACH: 8, ENABLE_STATS: 32, OBJ_GET_INFO: 15, BTF_LOAD: 18, LINK_CREATE: 28 };

function raw(cmd: number, attr: Buffer, buffers: (Buffer | null)[]): RawError | number {
  try {
    return nativeAddon().bpf(cmd, attr, buffers);
  } catch (e) {
    return e as RawError;
  }
}

/** Expects a refusal before the syscall. */
function refused(result: RawError | number, code = 'EINVAL', detail?: RegExp): RawError {
  expect(typeof result).toBe('object');
  const err = result as RawError;
  expect(err).toMatchObject({ code, syscall: 'bpf', preflight: true });
  if (detail) expect(err.detail).toMatch(detail);
  return err;
}

function attrOf(size: number, u32s: Record<number, number>): Buffer {
  const b = Buffer.alloc(size);
  for (const [off, v] of Object.entries(u32s)) b.writeUInt32LE(v, Number(off));
  return b;
}

const okInsns = Buffer.from('b7000000000000009500000000000000', 'hex'); // r0 = 0; exit
const gpl = Buffer.from('GPL\0');

function progAttr(extra: Record<number, number> = {}): Buffer {
  return attrOf(168, { 0: BpfProgType.SOCKET_FILTER, 4: 2, ...extra });
}

describeKernel('native pointer checks', () => {
  let baseline = 0;
  const fds: Fd[] = [];
  const keep = (fd: Fd | number): Fd => {
    const owned = typeof fd === 'number' ? new Fd(fd) : fd;
    fds.push(owned);
    return owned;
  };
  beforeAll(() => {
    baseline = openFdCount();
  });
  afterAll(() => {
    for (const fd of fds) fd.close();
    expect(openFdCount()).toBe(baseline);
  });

  test('a value Buffer shorter than value_size is refused and the map is unchanged', () => {
    const map = keep(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }));
    const elem = attrOf(32, { 0: map.raw });
    expect(raw(CMD.UPDATE, elem, [Buffer.alloc(4), Buffer.alloc(8, 0x11)])).toBe(0);
    refused(raw(CMD.UPDATE, elem, [Buffer.alloc(4), Buffer.alloc(7, 0x22)]), 'EINVAL', /7 bytes.*read 8/);
    refused(raw(CMD.UPDATE, elem, [Buffer.alloc(3), Buffer.alloc(8, 0x22)]), 'EINVAL', /3 bytes.*read 4/);
    refused(raw(CMD.LOOKUP, elem, [Buffer.alloc(4), Buffer.alloc(7)]), 'EINVAL', /write 8/);
    const out = Buffer.alloc(8);
    mapLookupElem(map, Buffer.alloc(4), out);
    expect(out).toEqual(Buffer.alloc(8, 0x11));
    // A key of null is fine for GET_NEXT_KEY (first key); next_key must hold key_size.
    const next = Buffer.alloc(4, 0xff);
    expect(raw(CMD.GET_NEXT_KEY, elem, [null, next])).toBe(0);
    expect(next.readUInt32LE()).toBe(0);
    refused(raw(CMD.GET_NEXT_KEY, elem, [null, Buffer.alloc(2)]), 'EINVAL', /write 4/);
  });

  test('map commands on an fd that is not a map are refused', () => {
    const prog = keep(progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: okInsns, license: 'GPL' }));
    refused(raw(CMD.LOOKUP, attrOf(32, { 0: prog.raw }), [Buffer.alloc(64), Buffer.alloc(64)]), 'EBADF', /not a BPF map/);
    refused(raw(CMD.LOOKUP, attrOf(32, { 0: 0x7fff_0000 }), [Buffer.alloc(4), Buffer.alloc(4)]), 'EBADF');
  });

  test('PROG_LOAD length rules', () => {
    expect(keep(raw(CMD.PROG_LOAD, progAttr(), [okInsns, gpl]) as number).raw).toBeGreaterThan(0);
    // insn_cnt says 3 instructions, the Buffer holds 2.
    refused(raw(CMD.PROG_LOAD, progAttr({ 4: 3 }), [okInsns, gpl]), 'EINVAL', /16 bytes.*read 24/);
    // log_size larger than the log Buffer.
    refused(raw(CMD.PROG_LOAD, progAttr({ 24: 1, 28: 4096 }), [okInsns, gpl, Buffer.alloc(100)]), 'EINVAL', /write 4096/);
    // License without a NUL inside its Buffer.
    refused(raw(CMD.PROG_LOAD, progAttr(), [okInsns, Buffer.from('GPL')]), 'EINVAL', /NUL/);
    // func_info: rec_size 8 x cnt 4 = 32 bytes.
    refused(raw(CMD.PROG_LOAD, progAttr({ 76: 8, 88: 4 }), [okInsns, gpl, null, Buffer.alloc(16)]), 'EINVAL', /read 32/);
    refused(raw(CMD.PROG_LOAD, progAttr({ 92: 16, 104: 2 }), [okInsns, gpl, null, null, Buffer.alloc(16)]), 'EINVAL', /read 32/);
  });

  test('fd_array must cover every index an instruction uses', () => {
    // call kfunc with insn.off = 3: the kernel reads fd_array[3].
    const kfunc = Buffer.from('85200300010000009500000000000000', 'hex');
    refused(raw(CMD.PROG_LOAD, progAttr(), [kfunc, gpl, null, null, null, Buffer.alloc(8)]), 'EINVAL', /8 bytes.*read 16/);
    refused(raw(CMD.PROG_LOAD, progAttr(), [kfunc, gpl, null, null, null, Buffer.alloc(0)]), 'EINVAL', /multiple of 4/);
    // fd_array_cnt = 4 -> 16 bytes.
    refused(raw(CMD.PROG_LOAD, progAttr({ 148: 4 }), [okInsns, gpl, null, null, null, Buffer.alloc(12)]), 'EINVAL', /read 16/);
    // Big enough: the kernel gets it (and rejects the bogus kfunc itself).
    const kernel = raw(CMD.PROG_LOAD, progAttr(), [kfunc, gpl, null, null, null, Buffer.alloc(16, 0xff)]) as RawError;
    expect(kernel.preflight).toBe(false);
  });

  test('pointer fields set by JS and unsupported pointer fields are refused', () => {
    refused(raw(CMD.PROG_LOAD, progAttr({ 8: 0x1000 }), [okInsns, gpl]), 'EINVAL', /offset 8 must be 0/);
    refused(raw(CMD.PROG_LOAD, progAttr({ 132: 1 }), [okInsns, gpl]), 'EINVAL', /128\.\.136/); // core_relos
    refused(raw(CMD.PROG_LOAD, progAttr({ 152: 1 }), [okInsns, gpl]), 'EINVAL', /152\.\.168/); // signature
    refused(raw(CMD.MAP_CREATE, attrOf(92, { 0: 2, 4: 4, 8: 4, 12: 1, 84: 1 }), []), 'EINVAL', /80\.\.88/);
    refused(raw(CMD.LINK_CREATE, attrOf(64, { 8: 44, 24: 1 }), []), 'EINVAL', /16\.\.64/);
    refused(raw(CMD.BTF_LOAD, attrOf(40, { 0: 0x1000, 16: 4 }), [Buffer.alloc(4)]), 'EINVAL', /offset 0 must be 0/);
  });

  test('unknown commands, oversized attrs and unused Buffers are refused', () => {
    for (const cmd of [CMD.PROG_ATTACH, CMD.ENABLE_STATS, 37, 99, 0xffff_ffff]) {
      refused(raw(cmd, Buffer.alloc(16), []), 'EINVAL', /not supported/);
    }
    // Each command takes at most its own struct of union bpf_attr (sizeof, padding included).
    refused(raw(CMD.MAP_CREATE, Buffer.alloc(BPF_ATTR.map_create.size + 1), []), 'E2BIG');
    refused(raw(CMD.PROG_LOAD, Buffer.alloc(169), []), 'E2BIG');
    refused(raw(CMD.MAP_CREATE, attrOf(92, { 0: 2 }), [Buffer.alloc(8)]), 'EINVAL', /buffers\[0\] is not used/);
    refused(raw(CMD.OBJ_PIN, attrOf(20, {}), [Buffer.from('/sys/fs/bpf/x')]), 'EINVAL', /NUL/);
    // Type errors are TypeErrors of the main realm (Jest's realm has its own TypeError).
    expect(() => nativeAddon().bpf(CMD.MAP_CREATE, 'x' as unknown as Buffer, [])).toThrow('attr must be a Buffer');
    expect(() => nativeAddon().bpf(-1, Buffer.alloc(4), [])).toThrow('cmd must be a non-negative integer');
    expect(() => nativeAddon().bpf(0, Buffer.alloc(4), [new Uint16Array(2) as unknown as Buffer])).toThrow('Buffers or null');
  });

  test('OBJ_GET_INFO_BY_FD zeroes the info Buffer and only fills BTF pointers for BTF fds', () => {
    const map = keep(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, mapName: 'sys_safety' }));
    // 0xff everywhere would be wild pointers (bpf_map_info.hash@88) if passed through.
    const info = Buffer.alloc(104, 0xff);
    const attr = attrOf(16, { 0: map.raw, 4: info.length });
    expect(raw(CMD.OBJ_GET_INFO, attr, [info])).toBe(0);
    expect(info.readUInt32LE(0)).toBe(BpfMapType.ARRAY);
    expect(info.subarray(24, 34).toString()).toBe('sys_safety');
    expect(info.readBigUInt64LE(88)).toBe(0n);
    expect(attr.readUInt32LE(0)).toBe(map.raw); // the caller's fd, not native's private dup
    refused(raw(CMD.OBJ_GET_INFO, attrOf(16, { 0: map.raw, 4: 200 }), [info]), 'EINVAL', /104 bytes.*write 200/);
    refused(raw(CMD.OBJ_GET_INFO, attrOf(16, { 0: map.raw, 4: 32 }), [Buffer.alloc(32), Buffer.alloc(64)]), 'EINVAL', /only for BTF/);
  });

  test('bpfAsync: only loads, copies its inputs, copies the log back', async () => {
    const addon = nativeAddon();
    await expect(addon.bpfAsync(CMD.MAP_CREATE, attrOf(92, { 0: 2, 4: 4, 8: 4, 12: 1 }), [])).rejects.toMatchObject({
      code: 'EINVAL',
      preflight: true,
    });
    // Scribbling over the inputs after the call cannot change what the kernel verifies.
    const insns = Buffer.from(okInsns);
    const license = Buffer.from(gpl);
    const pending = addon.bpfAsync(CMD.PROG_LOAD, progAttr(), [insns, license]);
    insns.fill(0xff);
    license.fill(0x41);
    keep(await pending);
    // A rejected program: the log arrives in the caller's Buffer, log_true_size in attr.
    const log = Buffer.alloc(4096);
    const attr = progAttr({ 4: 1, 24: 1, 28: log.length });
    const err = (await addon.bpfAsync(CMD.PROG_LOAD, attr, [Buffer.from('9500000000000000', 'hex'), gpl, log]).catch(
      (e: unknown) => e,
    )) as RawError;
    expect(err).toMatchObject({ code: 'EACCES', errno: 13, command: CMD.PROG_LOAD, preflight: false });
    expect(log.toString('latin1')).toMatch(/R0 !read_ok/);
    // log_true_size includes the NUL (Linux 6.4+; older kernels leave it 0)
    expect(attr.readUInt32LE(140)).toBe(kernelAtLeast(6, 4) ? log.indexOf(0) + 1 : 0);
    expect(attr.readBigUInt64LE(32)).toBe(0n); // addresses are not echoed back to JS
  });
});
