import { BpfError } from '../../lib/errors';
import {
  BpfMapType,
  BpfProgType,
  mapCreate,
  progBindMap,
  progGetFdById,
  progGetInfo,
  progGetNextId,
  progLoad,
  progLoadAsync,
} from '../../lib/sys';
import { describeKernel, trackFds } from '../helpers/kernel';
import { catchBpf } from '../helpers/errors';

/** One BPF instruction: opcode, dst/src registers, offset, immediate (little-endian host). */
function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}
const MOV64_IMM = 0xb7;
const MOV64_REG = 0xbf;
const EXIT = 0x95;

const okInsns = Buffer.concat([insn(MOV64_IMM, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0)]);
// exit with r0 never written: the verifier says "R0 !read_ok" (EACCES).
const badInsns = insn(EXIT, 0, 0, 0, 0);


describeKernel('lib/sys programs', () => {
  const fds = trackFds();

  test('loads a socket filter and decodes its info', () => {
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: okInsns, license: 'GPL', progName: 'sys_test_ok' });
    fds.push(prog);
    const info = progGetInfo(prog);
    expect(info).toMatchObject({ type: BpfProgType.SOCKET_FILTER, name: 'sys_test_ok', xlatedProgLen: 16, createdByUid: 0 });
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(info.tag).not.toBe('0000000000000000');
    expect(info.verifiedInsns).toBe(2);
    expect(info.loadTime).toBeGreaterThan(0n);

    const ids: number[] = [];
    for (let id = progGetNextId(0); id !== null; id = progGetNextId(id)) ids.push(id);
    expect(ids).toContain(info.id);
    const again = progGetFdById(info.id);
    expect(progGetInfo(again).tag).toBe(info.tag);
    again.close();

    const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    fds.push(map);
    progBindMap(prog, map);
  });

  test('a rejected program carries the verifier log, code and hint', () => {
    const err = catchBpf(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: badInsns, license: 'GPL' }));
    expect(['EACCES', 'EINVAL']).toContain(err.code);
    expect(err.command).toBe('BPF_PROG_LOAD');
    expect(err.errno).toBe(13);
    expect(err.verifierLog).toMatch(/R0 !read_ok/);
    // The message quotes the log's last lines: the error itself, or on 7.x the verifier's
    // closing diagnostic ("Suggestion: Initialize R0 on every path ...").
    expect(err.message).toMatch(/R0 !read_ok|Initialize R0/);
    expect(err.hint).toMatch(/verifier/);
  });

  test('the log buffer grows until a large verifier log fits', () => {
    // 30000 register moves at log level 2 print far more than the first 256 KiB buffer.
    const body = Array.from({ length: 30000 }, () => insn(MOV64_REG, 1, 1, 0, 0));
    const insns = Buffer.concat([insn(MOV64_IMM, 1, 0, 0, 0), ...body, insn(EXIT, 0, 0, 0, 0)]);
    const err = catchBpf(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, license: 'GPL', logLevel: 2 }));
    expect(err.code).toBe('EACCES');
    expect(err.verifierLog!.length).toBeGreaterThan(256 * 1024);
    // The whole log, from its first instruction to the final error.
    expect(err.verifierLog).toMatch(/^0: /m);
    expect(err.verifierLog).toMatch(/R0 !read_ok/);
  });

  test('eight programs load concurrently on the thread pool', async () => {
    const progs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        progLoadAsync({ progType: BpfProgType.SOCKET_FILTER, insns: okInsns, license: 'GPL', progName: `sys_async_${i}` }),
      ),
    );
    fds.push(...progs);
    expect(new Set(progs.map((p) => p.raw)).size).toBe(8);
    expect(progs.map((p) => progGetInfo(p).name)).toEqual(Array.from({ length: 8 }, (_, i) => `sys_async_${i}`));
  });

  test('an async rejection has the same shape as the sync error', async () => {
    const err = await progLoadAsync({ progType: BpfProgType.SOCKET_FILTER, insns: badInsns, license: 'GPL' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EACCES', errno: 13, command: 'BPF_PROG_LOAD', syscall: 'bpf' });
    expect((err as BpfError).verifierLog).toMatch(/R0 !read_ok/);
  });

  test('input errors name the field', () => {
    const odd = catchBpf(() => progLoad({ progType: 1, insns: Buffer.alloc(12), license: 'GPL' }));
    expect(odd.message).toMatch(/8-byte instructions/);
    const bad = catchBpf(() => progLoad({ progType: -1, insns: okInsns, license: 'GPL' }));
    expect(bad.message).toMatch(/"progType" to be a u32/);
  });
});
