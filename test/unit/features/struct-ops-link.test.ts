import { Btf, BtfKind } from '../../../lib/btf';
import { BpfError } from '../../../lib/errors';
import {
  STRUCT_OPS_LINK_HINT,
  btfHasStructOpsAttachType,
  cachedProbe,
  decideStructOpsLink,
  structOpsLinkUnsupported,
  type MapCreateOutcome,
  type StructOpsLinkProbeSteps,
} from '../../../lib/kernel';
import { PROBE_BTF } from '../../../lib/kernel/struct-ops-link';
import { BPF_F_LINK } from '../../../lib/sys';
import { info, rawBtf, strtab } from '../btf/raw';

/** Probe steps answering from a table: map flags -> outcome, and a BTF verdict. */
function steps(outcomes: Record<number, MapCreateOutcome | undefined>, btf?: boolean): StructOpsLinkProbeSteps & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    createMap: (flags) => {
      calls.push(flags);
      return outcomes[flags];
    },
    btfSaysSupported: () => btf,
  };
}

const eperm = new BpfError('BPF_MAP_CREATE: Operation not permitted', { code: 'EPERM', command: 'BPF_MAP_CREATE', hint: 'needs root' });

describe('decideStructOpsLink', () => {
  test('a link map that can be created means supported, without a second map', () => {
    const s = steps({ [BPF_F_LINK]: 'created' }, false);
    expect(decideStructOpsLink(s)).toBe(true);
    expect(s.calls).toEqual([BPF_F_LINK]);
  });

  test('EINVAL for the link flag while a plain struct_ops map works means unsupported (Linux < 6.4)', () => {
    const s = steps({ [BPF_F_LINK]: 'EINVAL', 0: 'created' }, true);
    expect(decideStructOpsLink(s)).toBe(false);
    expect(s.calls).toEqual([BPF_F_LINK, 0]);
  });

  test('EINVAL for both maps is not trusted: kernel BTF decides', () => {
    expect(decideStructOpsLink(steps({ [BPF_F_LINK]: 'EINVAL', 0: 'EINVAL' }, true))).toBe(true);
    expect(decideStructOpsLink(steps({ [BPF_F_LINK]: 'EINVAL', 0: 'EINVAL' }, false))).toBe(false);
  });

  test('without privilege (EPERM) kernel BTF decides', () => {
    expect(decideStructOpsLink(steps({ [BPF_F_LINK]: eperm }, true))).toBe(true);
    expect(decideStructOpsLink(steps({ [BPF_F_LINK]: eperm }, false))).toBe(false);
  });

  test('when nothing can tell, it throws a BpfError carrying the failed call', () => {
    let err: unknown;
    try {
      decideStructOpsLink(steps({ [BPF_F_LINK]: eperm }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EPERM', hint: 'needs root', cause: eperm });
    expect((err as Error).message).toMatch(/^cannot probe struct_ops link support: /);
  });

  test('no struct_ops type and no BTF: ENOENT naming kernel BTF', () => {
    expect(() => decideStructOpsLink(steps({}))).toThrow(expect.objectContaining({
      code: 'ENOENT', hint: expect.stringContaining('CONFIG_DEBUG_INFO_BTF'),
    }));
  });
});

describe('btfHasStructOpsAttachType', () => {
  const enumBtf = (values: string[], kind = BtfKind.ENUM): Btf => {
    const names = strtab(['bpf_attach_type', ...values]);
    const words = [names.off('bpf_attach_type'), info(kind, values.length), kind === BtfKind.ENUM ? 4 : 8];
    values.forEach((v, i) => words.push(...(kind === BtfKind.ENUM ? [names.off(v), i] : [names.off(v), i, 0])));
    return Btf.parse(rawBtf(words, names.bytes), { name: 'test' });
  };

  test('finds BPF_STRUCT_OPS in enum bpf_attach_type (6.4+)', () => {
    expect(btfHasStructOpsAttachType(enumBtf(['BPF_CGROUP_INET_INGRESS', 'BPF_STRUCT_OPS']))).toBe(true);
    expect(btfHasStructOpsAttachType(enumBtf(['BPF_CGROUP_INET_INGRESS', 'BPF_STRUCT_OPS'], BtfKind.ENUM64))).toBe(true);
  });

  test('an enum without it means no struct_ops links (6.1)', () => {
    expect(btfHasStructOpsAttachType(enumBtf(['BPF_CGROUP_INET_INGRESS', 'BPF_LSM_CGROUP']))).toBe(false);
  });

  test('no enum bpf_attach_type at all: cannot tell', () => {
    const names = strtab(['int']);
    const btf = Btf.parse(rawBtf([names.off('int'), info(BtfKind.INT), 4, 32], names.bytes), { name: 'test' });
    expect(btfHasStructOpsAttachType(btf)).toBeUndefined();
  });
});

describe('structOpsLinkUnsupported', () => {
  test('is EOPNOTSUPP, names the map, the minimum kernel and the legacy section', () => {
    const err = structOpsLinkUnsupported('cubic_link', 'cubic.bpf.o');
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EOPNOTSUPP', map: 'cubic_link', object: 'cubic.bpf.o', hint: STRUCT_OPS_LINK_HINT });
    expect(err.message).toMatch(/^struct_ops cubic_link: struct_ops links need Linux 6\.4 or newer \(running .+\)$/);
    expect(err.hint).toBe('struct_ops links need Linux 6.4 or newer; put the variable in SEC(".struct_ops") instead');
    expect(err.errno).toBeUndefined();
  });
});

describe('probe plumbing', () => {
  test('the probe object BTF is a valid blob with one int', () => {
    const btf = Btf.parse(PROBE_BTF, { name: 'probe' });
    expect(btf.findByName('int', 'int')).toMatchObject({ id: 1, kind: BtfKind.INT, size: 4 });
  });

  test('cachedProbe runs once and replays answers and errors until reset', () => {
    let runs = 0;
    const ok = cachedProbe(() => ++runs > 0);
    expect([ok(), ok(), ok()]).toEqual([true, true, true]);
    expect(runs).toBe(1);
    ok.reset();
    ok();
    expect(runs).toBe(2);

    const boom = new Error('boom');
    let failures = 0;
    const bad = cachedProbe(() => {
      failures++;
      throw boom;
    });
    expect(bad).toThrow(boom);
    expect(bad).toThrow(boom);
    expect(failures).toBe(1);
  });
});
