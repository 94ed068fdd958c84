import { BpfError } from '../../../lib/errors';
import { FAMILY_RULES, withRegistrationHint } from '../../../lib/object/link-hints';
import type { StructOpsMap } from '../../../lib/object/struct-ops-map';

/** The fields withRegistrationHint reads of a map that is not loaded (no plan). */
const mapOf = (kernelTypeName: string): StructOpsMap => ({ name: 'm', kernelTypeName, plan: undefined }) as unknown as StructOpsMap;
const einval = (): BpfError => new BpfError('BPF_MAP_UPDATE_ELEM: Invalid argument (EINVAL)', { code: 'EINVAL', command: 'BPF_MAP_UPDATE_ELEM' });

describe('registration hints: the family rules the kernel checks in code', () => {
  test.each(Object.keys(FAMILY_RULES))('EINVAL registering a %s names what its kernel code requires', (type) => {
    const err = withRegistrationHint(einval(), mapOf(type), 'attach') as BpfError;
    expect(err.hint).toBe(`the kernel rejected the value: ${FAMILY_RULES[type]}`);
    expect(err).toMatchObject({ map: 'm' });
  });

  test('Qdisc_ops: the five operators the kernel validates', () => {
    expect(FAMILY_RULES.Qdisc_ops).toMatch(/enqueue, dequeue, init, reset and destroy/);
  });

  test('a type without known rules gets no guessed hint', () => {
    expect((withRegistrationHint(einval(), mapOf('bpf_testmod_ops'), 'attach') as BpfError).hint).toBeUndefined();
  });
});
