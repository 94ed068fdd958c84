/**
 * inspect predicts what the kernel refuses, and load() refuses it first, by member (issue
 * 12): upstream-like Reno objects that break the GPL rule of struct_ops programs or
 * tcp_congestion_ops' own rules. The control object passes inspect and really registers.
 */
import { BpfError, openObject } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { inspectObject } from '../../lib/struct-ops/introspect';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { testWithLinks } from '../helpers/features';

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
