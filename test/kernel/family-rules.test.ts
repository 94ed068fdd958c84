/**
 * inspect predicts what the kernel refuses, and load() refuses it first, by member (issue
 * 12): upstream-like Reno objects that break the GPL rule of struct_ops programs or
 * tcp_congestion_ops' own rules. The control object passes inspect and really registers.
 */
import { BpfError, openObject } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { inspectObject } from '../../lib/introspect';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { kernelStructHasMember, testWithLinks } from '../helpers/features';

const CASES: [string, { code: string; member?: string; message: RegExp }][] = [
  ['s12_rules_mit', { code: 'EINVAL', message: /GPL-compatible license, the object's is "MIT"/ }],
  ['s12_rules_nossthresh', { code: 'EINVAL', member: 'ssthresh', message: /requires ssthresh/ }],
  ['s12_rules_noundo', { code: 'EINVAL', member: 'undo_cwnd', message: /requires undo_cwnd/ }],
  ['s12_rules_noavoid', { code: 'EINVAL', member: 'cong_avoid', message: /one of cong_avoid, cong_control/ }],
  ['s12_rules_getinfo', { code: 'ENOTSUPP', member: 'get_info', message: /does not accept a BPF program for tcp_congestion_ops.get_info/ }],
  ['s12_rules_longname', { code: 'EINVAL', member: 'name', message: /not NUL-terminated within its 16 bytes/ }],
  ['s12_rules_emptyname', { code: 'EINVAL', member: 'name', message: /\.name is empty/ }],
];

describeKernel('struct_ops family rules: inspect and load() agree', () => {
  afterEach(() => {
    unregisterLeftovers(['s12_']);
  });

  test.each(CASES)('%s: inspect says error, load() refuses before the kernel does', async (name, want) => {
    const report = inspectObject(fixture(name));
    expect(report.ok).toBe(false);
    const issue = report.issues.find((i) => i.severity === 'error' && want.message.test(i.message));
    expect(issue).toBeDefined();
    if (want.member) expect(issue!.member).toBe(want.member);
    expect(issue!.hint).toBeTruthy();

    const obj = await openObject(fixture(name));
    try {
      const err = await obj.load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: want.code, map: 's12_rules', ...(want.member ? { member: want.member } : {}) });
      expect((err as BpfError).message).toMatch(want.message);
      expect(obj.planLoad.bind(obj)).toThrow(BpfError);
    } finally {
      obj.close();
    }
  });

  test('a member only the kernel refuses: load() names it (from the verifier log) with the family hint', async () => {
    // bpf_dummy_ops' check_member lets only test_sleepable be sleepable; the loader cannot know.
    const obj = await openObject(fixture('s12_sleepable_member'));
    try {
      const err = await obj.load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_PROG_LOAD', program: 'insp_sleepy_2', member: 'test_2' });
      // Kernels with sleepable struct_ops (test_sleepable, 6.2+) refuse the member; 6.1 any sleepable struct_ops program.
      expect((err as BpfError).verifierLog).toMatch(kernelStructHasMember('bpf_dummy_ops', 'test_sleepable')
        ? /attach to unsupported member test_2 of struct bpf_dummy_ops/
        : /programs can be sleepable/);
      expect((err as BpfError).message).toMatch(/^program insp_sleepy_2 \(bpf_dummy_ops\.test_2\): BPF_PROG_LOAD: /);
      expect((err as BpfError).hint).toBe('bpf_dummy_ops.test_2 does not allow a sleepable program: put it in SEC("struct_ops/test_2"), not struct_ops.s');
    } finally {
      obj.close();
    }
  });

  test('a verifier refusal of a struct_ops program names the member it implements', async () => {
    const obj = await openObject(fixture('bad_verifier'));
    try {
      const err = await obj.load().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EACCES', command: 'BPF_PROG_LOAD', program: 'bv_ssthresh', member: 'ssthresh' });
      expect((err as BpfError).message).toMatch(/^program bv_ssthresh \(tcp_congestion_ops\.ssthresh\): /);
    } finally {
      obj.close();
    }
  });

  test('a non-GPL program calling kfuncs (not struct_ops): inspect says error, load() refuses it by program', async () => {
    const report = inspectObject(fixture('s12_kfunc_mit'));
    const issue = report.issues.find((i) => i.severity === 'error' && i.program === 'insp_kfunc_mit');
    expect(issue?.message).toMatch(/calls kernel functions tcp_reno_ssthresh, tcp_reno_undo_cwnd, which needs a GPL-compatible license, the object's is "MIT"/);
    const obj = await openObject(fixture('s12_kfunc_mit'));
    try {
      const err = await obj.load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EINVAL', program: 'insp_kfunc_mit', message: issue!.message, hint: expect.stringMatching(/GPL/) });
      expect(err).not.toHaveProperty('command');
    } finally {
      obj.close();
    }
  });

  test('an object whose only program no struct_ops variable uses: inspect and load() both refuse it, naming the program', async () => {
    const report = inspectObject(fixture('s12_only_unused'));
    expect(report.ok).toBe(false);
    const issue = report.issues.find((i) => i.program === 'insp_lonely');
    expect(issue).toMatchObject({ severity: 'error', message: expect.stringMatching(/not used by any struct_ops map, and the object has no other program to load/) });
    const obj = await openObject(fixture('s12_only_unused'));
    try {
      const err = await obj.load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EINVAL', program: 'insp_lonely', message: issue!.message, hint: issue!.hint });
    } finally {
      obj.close();
    }
  });

  test('an unused struct_ops program beside used ones: a warning in both, and the object loads', async () => {
    const report = inspectObject(fixture('warn_unused'));
    expect(report.ok).toBe(true);
    const issue = report.issues.find((i) => i.program === 'wu_unused_cb');
    expect(issue).toMatchObject({ severity: 'warning' });
    const obj = await openObject(fixture('warn_unused'));
    try {
      await obj.load();
      expect(obj.warnings).toContain(issue!.message);
      expect(obj.programs.get('wu_unused_cb')!.loaded).toBe(false);
    } finally {
      obj.close();
    }
  });

  testWithLinks('the control object passes inspect and registers', async () => {
    const report = inspectObject(fixture('s12_rules_ok'));
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(report.ok).toBe(true);
    const obj = await openObject(fixture('s12_rules_ok'));
    try {
      await obj.load();
      await obj.structOps.get('s12_rules')!.attach();
      expect(availableCongestionControls()).toContain('s12_rules_ok');
    } finally {
      obj.close();
    }
    expect(availableCongestionControls()).not.toContain('s12_rules_ok');
  });
});
