import { join } from 'node:path';
import { BpfError, inspectObject, loadKernelBtf, type InspectReport } from '../../lib';
import { mapGetNextId, nativeAddon } from '../../lib/sys';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

const errorsOf = (r: InspectReport): string[] => r.issues.filter((i) => i.severity === 'error').map((i) => i.message);
const warningsOf = (r: InspectReport): string[] => r.issues.filter((i) => i.severity === 'warning').map((i) => i.message);

describeKernel('inspectObject: an object checked against the running kernel, without bpf()', () => {
  let bpfCalls: jest.SpyInstance[] = [];
  beforeEach(() => {
    const addon = nativeAddon();
    bpfCalls = [jest.spyOn(addon, 'bpf'), jest.spyOn(addon, 'bpfAsync')];
  });
  afterEach(() => {
    // Inspecting never issues a bpf() command: no kernel object is created or even opened.
    for (const spy of bpfCalls) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });

  test('control: the spy does see bpf() commands', () => {
    mapGetNextId(0);
    expect(bpfCalls[0]).toHaveBeenCalled();
    bpfCalls[0].mockClear();
  });

  test('cubic: both maps match tcp_congestion_ops in vmlinux; member -> program table; kfuncs found', () => {
    const r = inspectObject(fixture('cubic'));
    expect(r).toMatchObject({ object: fixture('cubic'), license: 'GPL', ok: true, issues: [] });
    const tcp = loadKernelBtf().findByName('tcp_congestion_ops', 'struct')!;
    const value = loadKernelBtf().findByName('bpf_struct_ops_tcp_congestion_ops', 'struct')!;
    expect(r.structOps.map((s) => [s.name, s.section, s.link, s.autocreate])).toEqual([
      ['cubic_legacy', '.struct_ops', false, true],
      ['cubic_link', '.struct_ops.link', true, true],
    ]);
    for (const s of r.structOps) {
      expect(s).toMatchObject({
        localType: 'struct tcp_congestion_ops', kernelType: 'tcp_congestion_ops',
        kernel: { module: 'vmlinux', typeId: tcp.id, valueTypeId: value.id, valueSize: 256 },
      });
      const bound = Object.fromEntries(s.members.filter((m) => m.program).map((m) => [m.name, m.program]));
      expect(bound).toEqual({
        init: 'cu_init', ssthresh: 'cu_ssthresh', cong_avoid: 'cu_cong_avoid', undo_cwnd: 'cu_undo_cwnd',
        cwnd_event: 'cu_cwnd_event', set_state: 'cu_set_state', pkts_acked: 'cu_pkts_acked',
      });
      expect(s.members.every((m) => m.inKernel === true)).toBe(true);
      expect(s.members.find((m) => m.name === 'name')).toMatchObject({ kind: 'data', offset: 88, size: 16 });
    }
    expect(r.programs.find((p) => p.name === 'cu_init')).toEqual({
      name: 'cu_init', section: 'struct_ops/init', structOps: true,
      usedBy: [{ map: 'cubic_legacy', member: 'init' }, { map: 'cubic_link', member: 'init' }],
    });
    expect(r.ksyms).toEqual([
      { name: 'tcp_slow_start', kind: 'kfunc', weak: false, foundIn: 'vmlinux' },
      { name: 'tcp_cong_avoid_ai', kind: 'kfunc', weak: false, foundIn: 'vmlinux' },
    ]);
  });

  test('bad_missing_member: so_bogus is set but the kernel lacks it -> error naming the member', () => {
    const r = inspectObject(fixture('bad_missing_member'));
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([expect.objectContaining({ severity: 'error', map: 'bad_missing', member: 'so_bogus', hint: expect.any(String) })]);
    expect(errorsOf(r)[0]).toMatch(/has no member so_bogus, but it is set/);
    const s = r.structOps[0];
    expect(s.localType).toBe('struct tcp_congestion_ops___x');
    expect(s.kernelType).toBe('tcp_congestion_ops');
    expect(s.members.find((m) => m.name === 'so_bogus')).toEqual({ name: 'so_bogus', offset: 40, size: 4, kind: 'data', inKernel: false });
  });

  test('ok_missing_member_zero: the same member left zero is only a warning', () => {
    const r = inspectObject(fixture('ok_missing_member_zero'));
    expect(r.ok).toBe(true);
    expect(errorsOf(r)).toEqual([]);
    expect(warningsOf(r)).toEqual([expect.stringMatching(/member so_bogus not found in kernel struct tcp_congestion_ops, skipped/)]);
  });

  test('bad_size_mismatch: flags is 8 bytes in the object, 4 in the kernel -> error naming the member', () => {
    const r = inspectObject(fixture('bad_size_mismatch'));
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([expect.objectContaining({ severity: 'error', map: 'bad_size', member: 'flags' })]);
    expect(errorsOf(r)[0]).toMatch(/member flags: size mismatch: object has 8 bytes, kernel has 4/);
    expect(r.structOps[0].members.find((m) => m.name === 'flags')).toMatchObject({ size: 8, inKernel: true });
  });

  test('bad_unknown_struct: the kernel has no such struct_ops type', () => {
    const r = inspectObject(fixture('bad_unknown_struct'));
    expect(r.ok).toBe(false);
    expect(r.structOps[0]).toMatchObject({ name: 'bad_unknown', kernelType: 'so_nonexistent_ops', kernel: null });
    expect(r.structOps[0].members.every((m) => m.inKernel === undefined)).toBe(true);
    expect(r.issues).toEqual([expect.objectContaining({
      severity: 'error', map: 'bad_unknown', message: expect.stringMatching(/struct so_nonexistent_ops is not found in kernel BTF/),
    })]);
  });

  test('warn_unused: a struct_ops program no map uses is a warning, the object is still compatible', () => {
    const r = inspectObject(fixture('warn_unused'));
    expect(r.ok).toBe(true);
    expect(r.issues).toEqual([expect.objectContaining({ severity: 'warning', program: 'wu_unused_cb' })]);
    expect(r.programs.find((p) => p.name === 'wu_unused_cb')).toMatchObject({ structOps: true, usedBy: [] });
  });

  test('missing kfuncs are reported one by one, not just the first', () => {
    const r = inspectObject(join(__dirname, '..', 'fixtures', 'core', 'core_kfunc.bpf.o'));
    const missing = r.ksyms.filter((k) => k.foundIn === null).map((k) => k.name);
    expect(missing.length).toBeGreaterThan(1);
    for (const name of missing) expect(errorsOf(r)).toContainEqual(expect.stringContaining(`kfunc ${name} is not defined by the running kernel`));
  });

  test('an object without struct_ops is an error; unreadable or non-ELF files throw BpfError', () => {
    const core = join(__dirname, '..', 'fixtures', 'core', 'core_vmlinux.bpf.o');
    const r = inspectObject(core);
    expect(r.structOps).toEqual([]);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toEqual([`no struct_ops found in ${core}`]);

    const missing = (() => { try { inspectObject('/nonexistent/so_isp.bpf.o'); } catch (e) { return e; } })();
    expect(missing).toBeInstanceOf(BpfError);
    expect(missing).toMatchObject({ code: 'ENOENT', hint: expect.any(String) });
    const notElf = (() => { try { inspectObject(join(__dirname, '..', '..', 'package.json')); } catch (e) { return e; } })();
    expect(notElf).toBeInstanceOf(BpfError);
    expect(notElf).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('not an ELF') });
  });
});
