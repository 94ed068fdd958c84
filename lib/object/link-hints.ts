/** Hints for registration errors, and the TCP algorithm name they mention. */
import { BtfComposite, BtfKind } from '../btf';
import { BpfError } from '../errors';
import type { StructOpsMap } from './struct-ops-map';

/**
 * The `name` member of a loaded struct_ops map's kernel value (the algorithm name for
 * tcp_congestion_ops), or undefined when the kernel struct has no char-array `name`.
 */
export function structOpsName(map: StructOpsMap): string | undefined {
  const plan = map.plan;
  if (!plan) return undefined;
  const { btf, typeId, dataOffset } = plan.kernel;
  const type = btf.typeById(typeId) as BtfComposite;
  const member = type.members?.find((m) => m.name === 'name');
  if (!member || btf.resolve(member.type).kind !== BtfKind.ARRAY) return undefined;
  const start = dataOffset + member.bitOffset / 8;
  const bytes = map.kernelValue.subarray(start, start + btf.sizeOf(member.type));
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('latin1');
}

/**
 * What a family's kernel code (not its BTF) requires of a registered value, for the EINVAL
 * hint: each kernel type's `validate`/`init_member` rules, by kernel struct name.
 */
export const FAMILY_RULES: Readonly<Record<string, string>> = {
  tcp_congestion_ops: 'ssthresh, undo_cwnd and cong_avoid (or cong_control) must be set and .name non-empty',
  Qdisc_ops: 'enqueue, dequeue, init, reset and destroy must all be set, .id must be a non-empty name of letters, digits, _ or ., and priv_size 0',
  sched_ext_ops: '.name must be a non-empty name of letters, digits and _, flags only known SCX_OPS_* bits, and ops.init must succeed',
  hid_bpf_ops: '.hid_id must name a HID device present now (its number in /sys/bus/hid/devices/BBBB:VVVV:PPPP.NNNN)',
};

/** What the failing call was doing, for the hint. */
export type RegistrationStep = 'attach' | 'update';

/**
 * Adds the map name and a hint for the common registration failures to a BpfError
 * (other errors pass through unchanged). Returns the same error.
 */
export function withRegistrationHint(err: unknown, map: StructOpsMap, step: RegistrationStep): unknown {
  if (!(err instanceof BpfError)) return err;
  const e = err as { map?: string; hint?: string; message: string };
  e.map ??= map.name;
  const name = structOpsName(map);
  const tcp = map.kernelTypeName === 'tcp_congestion_ops';
  if (step === 'update' && err.command === 'BPF_LINK_UPDATE') {
    e.message = `struct_ops ${map.name}: cannot switch the link to this map${name ? ` (${name})` : ''}: ${e.message}`;
  }
  if (err.code === 'EOPNOTSUPP' && step === 'attach' && map.kernelTypeName === 'bpf_dummy_ops') {
    // The kernel's bpf_dummy_reg() refuses every registration: the family exists for tests.
    e.message = `struct_ops ${map.name}: bpf_dummy_ops cannot be registered: ${e.message}`;
    e.hint = 'bpf_dummy_ops is a test-only family: it can only be test-run; run its programs with program.testRun({ ctxIn: [state, ...args] })';
  } else if (err.code === 'EEXIST' && step === 'attach') {
    e.message = `struct_ops ${map.name}: name taken: a ${map.kernelTypeName}${name ? ` named ${name}` : ''} is already registered (${e.message})`;
    e.hint = tcp
      ? `unregister the other one first (struct-ops unregister MAP, or see /proc/sys/net/ipv4/tcp_available_congestion_control), or give this one another .name`
      : 'unregister the other one first, or give this one another name';
  } else if (err.code === 'EBUSY') {
    e.hint = 'this map is already registered (a struct_ops map registers once); close its link or unregister it first';
  } else if (err.code === 'EINVAL' && step === 'update') {
    e.hint = tcp
      ? `a live update keeps the algorithm: the new map must implement the same kernel struct with the same .name${name ? ` (the new one is ${name})` : ''}, and be a .struct_ops.link map`
      : 'a live update needs a .struct_ops.link map of the same kernel struct';
  } else if (err.code === 'ENOLINK') {
    e.hint = 'the link is detached (it points at no map any more); register anew instead';
  } else if (err.code === 'EPERM' && step === 'update' && err.command === 'BPF_LINK_UPDATE') {
    e.hint = 'the link no longer points at the expected map (it was updated or detached meanwhile); read link.info() and retry';
  } else if (err.code === 'EINVAL' && e.hint === undefined && FAMILY_RULES[map.kernelTypeName] !== undefined) {
    e.hint = `the kernel rejected the value: ${FAMILY_RULES[map.kernelTypeName]}`;
  }
  return err;
}
