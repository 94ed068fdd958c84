import { BpfError } from '../../../lib/errors';
import { withRegistrationHint } from '../../../lib/struct-ops/registration-hints';
import type { StructOpsMap } from '../../../lib/object/struct-ops-map';
import { familiesWithRules, familyRules } from '../../../lib/families';

/** The fields withRegistrationHint reads of a map that is not loaded (no plan). */
const mapOf = (kernelTypeName: string): StructOpsMap => ({ name: 'm', kernelTypeName, plan: undefined }) as unknown as StructOpsMap;
const failed = (code: string, command: string): BpfError => new BpfError(`${command}: failed (${code})`, { code, command });
const einval = (): BpfError => failed('EINVAL', 'BPF_MAP_UPDATE_ELEM');

describe('registration hints: the family rules the kernel checks in code', () => {
  test.each(familiesWithRules())('EINVAL registering a %s names what its kernel code requires', (type) => {
    const err = withRegistrationHint(einval(), mapOf(type), 'attach') as BpfError;
    expect(err.hint).toBe(`the kernel rejected the value: ${familyRules(type)!.registerRules}`);
    expect(err).toMatchObject({ map: 'm' });
  });

  test('Qdisc_ops: the five operators the kernel validates', () => {
    expect(familyRules('Qdisc_ops')!.registerRules).toMatch(/enqueue, dequeue, init, reset and destroy/);
  });

  test('a type without known rules gets no guessed hint', () => {
    expect((withRegistrationHint(einval(), mapOf('bpf_testmod_ops'), 'attach') as BpfError).hint).toBeUndefined();
  });
});

describe('EOPNOTSUPP when registering: per family, per command', () => {
  test.each(['BPF_MAP_UPDATE_ELEM', 'BPF_LINK_CREATE'])('bpf_dummy_ops at %s: cannot be registered, only test-run', (command) => {
    const err = withRegistrationHint(failed('EOPNOTSUPP', command), mapOf('bpf_dummy_ops'), 'attach') as BpfError;
    expect(err.message).toMatch(/^struct_ops m: bpf_dummy_ops cannot be registered: /);
    expect(err.hint).toMatch(/test-only family: it can only be test-run/);
  });

  test('another family whose reg() says EOPNOTSUPP: the registration was refused, not "test-only"', () => {
    const err = withRegistrationHint(failed('EOPNOTSUPP', 'BPF_LINK_CREATE'), mapOf('tcp_congestion_ops'), 'attach') as BpfError;
    expect(err.message).toMatch(/^struct_ops m: tcp_congestion_ops refused the registration: /);
    expect(err.hint).toBe("the kernel's tcp_congestion_ops refused the registration (its reg() answered EOPNOTSUPP)");
  });
});
