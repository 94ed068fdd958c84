/**
 * The family rules inspect and load() share (issue 12), checked on the family fixtures'
 * own BTF (built against Debian's 7.3 kernel: sched_ext_ops, Qdisc_ops, hid_bpf_ops) and the
 * tcp_congestion_ops fixtures, with the variable's bytes edited to break one rule at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfKind } from '../../../lib/btf';
import { loadObjectSpec } from '../../../lib/object';
import {
  checkFamilyRules, checkKfuncLicense, familyCheckInput, refusalHint, type RuleViolation,
} from '../../../lib/families';
import { fixture } from '../../helpers/fixtures';

const familyObject = (name: string): string => join(__dirname, '..', '..', 'fixtures', 'bpf', 'families', `${name}.bpf.o`);

interface Edit {
  /** Data member to overwrite, and its new bytes (zero-padded to the member's size). */
  set?: Record<string, Buffer | number>;
  /** Members to bind to a program (added) or unbind (removed). */
  bind?: string[];
  unbind?: string[];
  license?: string;
}

/** The family check of the first struct_ops variable of `path`, after `edit`. */
function violations(path: string, edit: Edit = {}): RuleViolation[] {
  const spec = loadObjectSpec(readFileSync(path), path);
  const s = spec.structOps[0];
  const data = Buffer.from(s.data);
  const type = spec.btf.resolve(s.typeId);
  if (type.kind !== BtfKind.STRUCT) throw new Error('not a struct');
  for (const [name, value] of Object.entries(edit.set ?? {})) {
    const m = type.members.find((x) => x.name === name)!;
    const at = m.bitOffset / 8;
    const size = spec.btf.sizeOf(m.type);
    data.fill(0, at, at + size);
    if (typeof value === 'number') data.writeUIntLE(value, at, Math.min(size, 6));
    else value.copy(data, at, 0, Math.min(value.length, size));
  }
  const bound = new Set(s.programs.keys());
  for (const m of edit.bind ?? []) bound.add(m);
  for (const m of edit.unbind ?? []) bound.delete(m);
  return checkFamilyRules(familyCheckInput(spec.btf, { ...s, data }, bound, edit.license ?? spec.license));
}

const text = (name: string): Buffer => Buffer.from(`${name}\0`, 'latin1');

describe('Qdisc_ops (bpf_qdisc.c)', () => {
  const fifo = familyObject('qdisc_fifo');

  test('the FIFO qdisc breaks no rule', () => {
    expect(violations(fifo)).toEqual([]);
  });

  test('destroy missing (bpf_qdisc_validate): EINVAL naming destroy', () => {
    expect(violations(familyObject('qdisc_incomplete'))).toEqual([
      expect.objectContaining({ member: 'destroy', code: 'EINVAL', why: 'Qdisc_ops requires destroy, which has no program' }),
    ]);
  });

  test.each(['enqueue', 'dequeue', 'init', 'reset'])('%s missing: EINVAL naming it', (member) => {
    expect(violations(fifo, { unbind: [member] })).toEqual([expect.objectContaining({ member, code: 'EINVAL' })]);
  });

  test.each(['peek', 'change', 'dump'])('a program for %s (no cfi stub): ENOTSUPP, hint lists the members that take one', (member) => {
    expect(violations(fifo, { bind: [member] })).toEqual([expect.objectContaining({
      member, code: 'ENOTSUPP', hint: `leave ${member} unset: Qdisc_ops takes programs only for enqueue, dequeue, init, reset, destroy`,
    })]);
  });

  test('priv_size set (bpf_qdisc_init_member): EINVAL', () => {
    expect(violations(fifo, { set: { priv_size: 64 } })).toEqual([
      expect.objectContaining({ member: 'priv_size', code: 'EINVAL', why: '.priv_size is 64, and Qdisc_ops requires 0 (the kernel sets it)' }),
    ]);
  });

  test.each([
    ['', /\.id is empty/],
    ['so-fifo', /\.id "so-fifo" has "-"; the kernel takes only letters, digits, _ and \./],
    ['x'.repeat(16), /not NUL-terminated within its 16 bytes/],
  ])('.id %j (bpf_obj_name_cpy): EINVAL', (id, why) => {
    const v = violations(fifo, { set: { id: Buffer.from(id, 'latin1') } });
    expect(v).toEqual([expect.objectContaining({ member: 'id', code: 'EINVAL', why: expect.stringMatching(why) })]);
  });

  test('.id with a dot is a valid kind', () => {
    expect(violations(fifo, { set: { id: text('so.fifo') } })).toEqual([]);
  });
});

describe('sched_ext_ops (bpf_scx_init_member)', () => {
  const vtime = familyObject('scx_vtime');

  test('the vtime scheduler breaks no rule', () => {
    expect(violations(vtime)).toEqual([]);
  });

  test('no member is required: a scheduler with no callback passes', () => {
    expect(violations(vtime, { unbind: ['enqueue', 'dispatch', 'running', 'stopping', 'enable', 'init', 'exit'] })).toEqual([]);
  });

  test.each([
    ['', /\.name is empty/],
    ['so vtime', /has " "/],
  ])('.name %j: EINVAL', (name, why) => {
    expect(violations(vtime, { set: { name: Buffer.from(name, 'latin1') } })).toEqual([
      expect.objectContaining({ member: 'name', code: 'EINVAL', why: expect.stringMatching(why) }),
    ]);
  });
});

describe('hid_bpf_ops (hid_bpf_ops_init_member, hid_bpf_reg)', () => {
  const mouse = familyObject('hid_mouse');

  test('hid_id 0 as compiled: a register-time finding that can still be set (inspect warns, load() does not refuse)', () => {
    expect(violations(mouse)).toEqual([
      expect.objectContaining({ member: 'hid_id', code: 'EINVAL', atRegister: true, settable: true }),
    ]);
  });

  test('hid_id set: no finding', () => {
    expect(violations(mouse, { set: { hid_id: 3 } })).toEqual([]);
  });

  test('flags other than BPF_F_BEFORE: EINVAL; BPF_F_BEFORE alone passes', () => {
    expect(violations(mouse, { set: { hid_id: 3, flags: 1 } })).toEqual([
      expect.objectContaining({ member: 'flags', code: 'EINVAL', why: '.flags is 0x1; hid_bpf_ops accepts only BPF_F_BEFORE (0x8)' }),
    ]);
    expect(violations(mouse, { set: { hid_id: 3, flags: 8 } })).toEqual([]);
  });
});

describe('tcp_congestion_ops names (bpf_tcp_ca_init_member)', () => {
  test('a name with a character bpf_obj_name_cpy refuses: EINVAL', () => {
    expect(violations(fixture('s12_rules_ok'), { set: { name: text('so/rules') } })).toEqual([
      expect.objectContaining({ member: 'name', code: 'EINVAL', why: expect.stringMatching(/has "\/"/) }),
    ]);
  });
});

describe('hints for what only the kernel decides: per family and per command', () => {
  test('PROG_LOAD ENOTSUPP: the member is refused (tcp_congestion_ops names its check)', () => {
    expect(refusalHint({ command: 'BPF_PROG_LOAD', code: 'ENOTSUPP', kernelType: 'tcp_congestion_ops', member: 'get_info' }))
      .toBe('leave get_info unset: tcp_congestion_ops programs cannot implement it (bpf_tcp_ca_check_member refuses it)');
    expect(refusalHint({ command: 'BPF_PROG_LOAD', code: 'ENOTSUPP', kernelType: 'Qdisc_ops', member: 'change' }))
      .toBe('leave change unset: Qdisc_ops takes programs only for enqueue, dequeue, init, reset, destroy');
  });

  test('PROG_LOAD EINVAL of a sleepable program: the member does not allow sleeping', () => {
    expect(refusalHint({ command: 'BPF_PROG_LOAD', code: 'EINVAL', kernelType: 'bpf_dummy_ops', member: 'test_2', sleepable: true }))
      .toMatch(/^bpf_dummy_ops\.test_2 does not allow a sleepable program/);
    expect(refusalHint({ command: 'BPF_PROG_LOAD', code: 'EINVAL', kernelType: 'bpf_dummy_ops', member: 'test_2' })).toBeUndefined();
  });

  test('registration EOPNOTSUPP: bpf_dummy_ops is not registrable at all, another family refused this map', () => {
    for (const command of ['BPF_MAP_UPDATE_ELEM', 'BPF_LINK_CREATE'] as const) {
      expect(refusalHint({ command, code: 'EOPNOTSUPP', kernelType: 'bpf_dummy_ops' })).toMatch(/test-only family: it can only be test-run/);
      expect(refusalHint({ command, code: 'EOPNOTSUPP', kernelType: 'sched_ext_ops' }))
        .toBe("the kernel's sched_ext_ops refused the registration (its reg() answered EOPNOTSUPP)");
    }
  });

  test('the same errno reads differently at PROG_LOAD and at registration', () => {
    const atLoad = refusalHint({ command: 'BPF_PROG_LOAD', code: 'EOPNOTSUPP', kernelType: 'bpf_dummy_ops', member: 'test_1' });
    const atRegister = refusalHint({ command: 'BPF_LINK_CREATE', code: 'EOPNOTSUPP', kernelType: 'bpf_dummy_ops' });
    expect(atLoad).toMatch(/^leave test_1 unset/);
    expect(atLoad).not.toBe(atRegister);
  });
});

describe('kfuncs need a GPL-compatible license (add_kfunc_call), whatever the program type', () => {
  const callers = [{ program: 'tp_prog', kfuncs: ['bpf_task_acquire', 'bpf_task_release'] }, { program: 'plain', kfuncs: [] }];

  test('a non-GPL object: EINVAL for each program calling kfuncs, naming them', () => {
    expect(checkKfuncLicense(callers, 'MIT')).toEqual([expect.objectContaining({
      program: 'tp_prog', code: 'EINVAL',
      why: 'program tp_prog calls kernel functions bpf_task_acquire, bpf_task_release, which needs a GPL-compatible license, the object\'s is "MIT"',
    })]);
  });

  test.each(['GPL', 'Dual BSD/GPL', 'GPL v2'])('%s: no finding', (license) => {
    expect(checkKfuncLicense(callers, license)).toEqual([]);
  });
});
