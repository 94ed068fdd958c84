// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * What each struct_ops family's kernel code checks before it accepts a map, so `inspect`
 * can predict it and load() can refuse early with the member and a hint: one table of
 * rules per family, shared by both (inspect lists every violation, load() throws the first),
 * and the hints for the refusals only the kernel can decide (PROG_LOAD, registration).
 *
 * Facts (kernel 6.x/7.x):
 * - every struct_ops program needs a GPL-compatible license (the verifier's
 *   check_struct_ops_btf_id: "struct ops programs must have a GPL compatible license"), and so
 *   does any program calling a kfunc (add_kfunc_call: "cannot call kernel function from
 *   non-GPL compatible program"), both EINVAL at PROG_LOAD;
 * - a member check_member refuses, or one without a cfi stub, answers PROG_LOAD with the
 *   verifier line "attach to unsupported member M of struct T" (ENOTSUPP, or check_member's
 *   own errno: bpf_dummy_ops' is EINVAL for a sleepable program outside test_sleepable);
 * - names copied with bpf_obj_name_cpy (tcp_congestion_ops .name, Qdisc_ops .id,
 *   sched_ext_ops .name) must be 1..size-1 characters of [A-Za-z0-9_.], NUL-terminated (EINVAL);
 * - tcp_congestion_ops (net/ipv4/bpf_tcp_ca.c, tcp_cong.c): ssthresh, undo_cwnd and one of
 *   cong_avoid/cong_control are required (tcp_validate_congestion_control, EINVAL); get_info
 *   is refused (bpf_tcp_ca_check_member, ENOTSUPP);
 * - Qdisc_ops (net/sched/bpf_qdisc.c): enqueue, dequeue, init, reset and destroy are required
 *   (bpf_qdisc_validate, EINVAL) and are the only members with cfi stubs (any other member's
 *   program is refused, ENOTSUPP); priv_size must be 0 (bpf_qdisc_init_member, EINVAL: the
 *   kernel sets it); .id is the qdisc kind, copied with bpf_obj_name_cpy;
 * - sched_ext_ops (kernel/sched/ext.c): no member is required; .name is copied with
 *   bpf_obj_name_cpy and an empty one is refused (bpf_scx_init_member, EINVAL);
 * - hid_bpf_ops (drivers/hid/bpf/hid_bpf_struct_ops.c): flags may hold only BPF_F_BEFORE
 *   (hid_bpf_ops_init_member, EINVAL); hid_id must name a HID device present when registering
 *   (hid_bpf_reg, EINVAL). Devices are numbered from 1 (hid_add_device's atomic_inc_return),
 *   so 0 names none; programs usually set it at run time, before load;
 * - bpf_dummy_ops (net/bpf/bpf_dummy_struct_ops.c) exists for BPF_PROG_TEST_RUN only: its
 *   reg() always fails with EOPNOTSUPP, so a map of it can be loaded but never registered.
 */
import { BtfKind, type Btf } from '../btf';

/** The rules of one family, as the kernel applies them when a map is created or registered. */
export interface FamilyRules {
  /** Groups of members; at least one member of each group must be bound to a program. */
  required: readonly (readonly string[])[];
  /** Members the kernel refuses to take a program for, with the errno it answers. */
  refused: ReadonlyMap<string, string>;
  /** When set, the only members that take a program; the kernel refuses any other (ENOTSUPP). */
  accepted?: ReadonlySet<string>;
  /** The kernel function refusing members' programs, for messages. */
  memberCheck?: string;
  /** A char-array member that must hold a non-empty, NUL-terminated name (bpf_obj_name_cpy). */
  nameMember?: string;
  /** Integer members that must be 0 (the kernel fills them in). */
  zeroMembers?: readonly string[];
  /** Integer members that may hold only these bits. */
  flagMembers?: ReadonlyMap<string, { allowed: bigint; names: string }>;
  /** Integer member naming a device that must exist when registering; 0 names none. */
  deviceMember?: { member: string; what: string };
  /** Why registering a map of this family always fails, when it does. */
  unregistrable?: string;
  /** What the family's kernel code requires of a registered value: the hint for its EINVAL. */
  registerRules: string;
}

/** BPF_F_BEFORE (uapi bpf.h), the one flag hid_bpf_ops accepts. */
const BPF_F_BEFORE = 1n << 3n;

const FAMILIES: ReadonlyMap<string, FamilyRules> = new Map<string, FamilyRules>([
  ['tcp_congestion_ops', {
    required: [['ssthresh'], ['undo_cwnd'], ['cong_avoid', 'cong_control']],
    refused: new Map([['get_info', 'ENOTSUPP']]),
    memberCheck: 'bpf_tcp_ca_check_member',
    nameMember: 'name',
    registerRules: 'ssthresh, undo_cwnd and cong_avoid (or cong_control) must be set and .name non-empty',
  }],
  ['Qdisc_ops', {
    required: [['enqueue'], ['dequeue'], ['init'], ['reset'], ['destroy']],
    refused: new Map(),
    accepted: new Set(['enqueue', 'dequeue', 'init', 'reset', 'destroy']),
    nameMember: 'id',
    zeroMembers: ['priv_size'],
    registerRules: 'enqueue, dequeue, init, reset and destroy must all be set, .id must be a non-empty name of letters, digits, _ or ., and priv_size 0',
  }],
  ['sched_ext_ops', {
    required: [],
    refused: new Map(),
    nameMember: 'name',
    registerRules: '.name must be a non-empty name of letters, digits, _ or ., flags only known SCX_OPS_* bits, and ops.init must succeed',
  }],
  ['hid_bpf_ops', {
    required: [],
    refused: new Map(),
    flagMembers: new Map([['flags', { allowed: BPF_F_BEFORE, names: 'BPF_F_BEFORE' }]]),
    deviceMember: { member: 'hid_id', what: 'HID device' },
    registerRules: '.hid_id must name a HID device present now (its number in /sys/bus/hid/devices/BBBB:VVVV:PPPP.NNNN)',
  }],
  ['bpf_dummy_ops', {
    required: [],
    refused: new Map(),
    unregistrable: 'bpf_dummy_ops exists for BPF_PROG_TEST_RUN only: the kernel refuses to register it (EOPNOTSUPP)',
    registerRules: 'bpf_dummy_ops cannot be registered at all; its programs only run through BPF_PROG_TEST_RUN',
  }],
]);

/** One rule a struct_ops map breaks. */
export interface RuleViolation {
  /** The member concerned, when the rule is about one. */
  member?: string;
  /** errno the kernel would answer. */
  code: string;
  /** What is wrong (lowercase, no trailing period). */
  why: string;
  hint: string;
  /** True when only registering fails (load succeeds): inspect reports it, load() does not refuse. */
  atRegister?: boolean;
  /** The value can still be set from the program (shadow value) before load: inspect warns. */
  settable?: boolean;
}

/** The licenses the kernel treats as GPL-compatible (license_is_gpl_compatible). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** Whether the kernel counts `license` (the object's `license` section) as GPL-compatible. */
export function gplCompatible(license: string): boolean {
  return GPL_COMPATIBLE.has(license);
}

/** The rules of `kernelType`'s family, when it has any beyond the common ones. */
export function familyRules(kernelType: string): FamilyRules | undefined {
  return FAMILIES.get(kernelType);
}

/** Kernel struct names of the families with rules of their own. */
export function familiesWithRules(): string[] {
  return [...FAMILIES.keys()];
}

/** What a map of a family is checked on. */
export interface FamilyCheckInput {
  kernelType: string;
  /** Members bound to a program. */
  bound: ReadonlySet<string>;
  /** The object's license string. */
  license: string;
  /**
   * Bytes of the data members the family's rules read, by name; a member the rules read
   * that the variable's type lacks is absent (the kernel sees zeros there).
   */
  values?: ReadonlyMap<string, Buffer>;
}

/** Every rule of the map's family (and the common license rule) that it breaks. */
export function checkFamilyRules(input: FamilyCheckInput): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (input.bound.size > 0 && !gplCompatible(input.license)) {
    out.push({
      code: 'EINVAL',
      why: `struct_ops programs need a GPL-compatible license, the object's is ${JSON.stringify(input.license)}`,
      hint: 'add char _license[] SEC("license") = "GPL"; (or "Dual BSD/GPL")',
    });
  }
  const rules = FAMILIES.get(input.kernelType);
  if (!rules) return out;
  const type = input.kernelType;
  for (const group of rules.required) {
    if (group.some((m) => input.bound.has(m))) continue;
    out.push({
      member: group[0], code: 'EINVAL',
      why: group.length === 1
        ? `${type} requires ${group[0]}, which has no program`
        : `${type} requires one of ${group.join(', ')}, and none has a program`,
      hint: `the kernel refuses a ${type} without it: bind a program to ${group.join(' or ')}`,
    });
  }
  for (const member of input.bound) {
    const code = rules.refused.get(member) ?? (rules.accepted && !rules.accepted.has(member) ? 'ENOTSUPP' : undefined);
    if (code === undefined) continue;
    out.push({
      member, code,
      why: `the kernel does not accept a BPF program for ${type}.${member}`,
      hint: memberRefusedHint(type, member),
    });
  }
  if (rules.unregistrable !== undefined) {
    out.push({ code: 'EOPNOTSUPP', why: rules.unregistrable, hint: 'load it for BPF_PROG_TEST_RUN; it cannot be registered', atRegister: true });
  }
  // Without the variable's bytes (a layout this check cannot read) the data rules are left to the kernel.
  const values = input.values;
  if (values === undefined) return out;
  if (rules.nameMember !== undefined) out.push(...nameViolations(rules.nameMember, values.get(rules.nameMember)));
  for (const member of rules.zeroMembers ?? []) {
    const v = values.has(member) ? readUnsigned(values.get(member)!) : 0n;
    if (v !== 0n) {
      out.push({
        member, code: 'EINVAL', why: `.${member} is ${v}, and ${type} requires 0 (the kernel sets it)`,
        hint: `leave .${member} unset`,
      });
    }
  }
  for (const [member, { allowed, names }] of rules.flagMembers ?? []) {
    const v = values.has(member) ? readUnsigned(values.get(member)!) : 0n;
    if ((v & ~allowed) !== 0n) {
      out.push({
        member, code: 'EINVAL', why: `.${member} is 0x${v.toString(16)}; ${type} accepts only ${names} (0x${allowed.toString(16)})`,
        hint: `keep .${member} to ${names} or 0`,
      });
    }
  }
  if (rules.deviceMember !== undefined) {
    const { member, what } = rules.deviceMember;
    const v = values.has(member) ? readUnsigned(values.get(member)!) : 0n;
    if (v === 0n) {
      out.push({
        member, code: 'EINVAL', atRegister: true, settable: true,
        why: `.${member} is 0, which names no ${what}: registering fails unless it is set first`,
        hint: `set it before load (obj.structOps.get(name).value.${member} = N) to the device's number`,
      });
    }
  }
  return out;
}

/** bpf_obj_name_cpy's rules for a name member (`bytes` undefined: the type lacks it, all zero). */
function nameViolations(member: string, bytes: Buffer | undefined): RuleViolation[] {
  if (bytes === undefined) {
    return [{ member, code: 'EINVAL', why: `the struct has no .${member}, so the kernel sees an empty one`, hint: `declare and set .${member}` }];
  }
  const nul = bytes.indexOf(0);
  if (nul <= 0) {
    return [{
      member, code: 'EINVAL',
      why: nul === 0 ? `.${member} is empty` : `.${member} is not NUL-terminated within its ${bytes.length} bytes`,
      hint: `give it a name of 1 to ${bytes.length - 1} characters`,
    }];
  }
  const name = bytes.subarray(0, nul).toString('latin1');
  const bad = /[^A-Za-z0-9_.]/.exec(name);
  if (bad) {
    return [{
      member, code: 'EINVAL',
      why: `.${member} ${JSON.stringify(name)} has ${JSON.stringify(bad[0])}; the kernel takes only letters, digits, _ and .`,
      hint: `rename it with [A-Za-z0-9_.] only`,
    }];
  }
  return [];
}

function readUnsigned(bytes: Buffer): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** The hint for a member whose program `kernelType` refuses. */
function memberRefusedHint(kernelType: string, member: string): string {
  const rules = FAMILIES.get(kernelType);
  if (rules?.accepted && !rules.accepted.has(member)) {
    return `leave ${member} unset: ${kernelType} takes programs only for ${[...rules.accepted].join(', ')}`;
  }
  return `leave ${member} unset: ${kernelType} programs cannot implement it${rules?.memberCheck ? ` (${rules.memberCheck} refuses it)` : ''}`;
}

/** The kernel command a refusal came from, as hints distinguish them. */
export type RefusedCommand = 'BPF_PROG_LOAD' | 'BPF_MAP_UPDATE_ELEM' | 'BPF_LINK_CREATE';

/** What the kernel said, as far as the family hints need it. */
export interface Refusal {
  command: RefusedCommand;
  /** errno name. */
  code: string;
  kernelType: string;
  /** The struct_ops member concerned (PROG_LOAD: the one the program implements). */
  member?: string;
  /** PROG_LOAD of a sleepable (struct_ops.s) program. */
  sleepable?: boolean;
}

/**
 * The family's hint for a kernel refusal, per command: at PROG_LOAD the member is refused
 * (the family does not take a program there, or not a sleepable one); at MAP_UPDATE_ELEM
 * (a legacy map registers there) or LINK_CREATE the family refuses the registration.
 * Undefined when the family has nothing more specific to say than the generic hint.
 */
export function refusalHint(r: Refusal): string | undefined {
  const rules = FAMILIES.get(r.kernelType);
  const notSupported = r.code === 'ENOTSUPP' || r.code === 'EOPNOTSUPP';
  if (r.command === 'BPF_PROG_LOAD') {
    if (r.member === undefined) return undefined;
    if (notSupported) return memberRefusedHint(r.kernelType, r.member);
    if (r.code === 'EINVAL' && r.sleepable) {
      return `${r.kernelType}.${r.member} does not allow a sleepable program: put it in SEC("struct_ops/${r.member}"), not struct_ops.s`;
    }
    return undefined;
  }
  if (notSupported && rules?.unregistrable !== undefined) {
    return `${r.kernelType} is a test-only family: it can only be test-run; run its programs with program.testRun({ ctxIn: [state, ...args] })`;
  }
  if (notSupported) return `the kernel's ${r.kernelType} refused the registration (its reg() answered ${r.code})`;
  if (r.code === 'EINVAL' && rules !== undefined) return `the kernel rejected the value: ${rules.registerRules}`;
  return undefined;
}

/**
 * The check input of struct_ops variable `s` of an object: its bound members, and the
 * bytes of the data members its family's rules read (found by name in the object's BTF).
 */
export function familyCheckInput(
  btf: Btf, s: { typeId: number; data: Buffer; kernelTypeName: string }, bound: Iterable<string>, license: string,
): FamilyCheckInput {
  const input: FamilyCheckInput = { kernelType: s.kernelTypeName, bound: new Set(bound), license };
  const rules = FAMILIES.get(s.kernelTypeName);
  if (rules === undefined) return input;
  const wanted = [
    ...(rules.nameMember !== undefined ? [rules.nameMember] : []), ...(rules.zeroMembers ?? []),
    ...(rules.flagMembers?.keys() ?? []), ...(rules.deviceMember ? [rules.deviceMember.member] : []),
  ];
  const type = btf.resolve(s.typeId);
  if (type.kind !== BtfKind.STRUCT) return input;
  const values = new Map<string, Buffer>();
  for (const name of wanted) {
    const m = type.members.find((x) => x.name === name);
    if (!m) continue;
    if (m.bitfieldSize > 0 || m.bitOffset % 8 !== 0) return input;
    const from = m.bitOffset / 8;
    const to = from + btf.sizeOf(m.type);
    if (to > s.data.length) return input;
    values.set(name, s.data.subarray(from, to));
  }
  input.values = values;
  return input;
}

/** A program of an object and the kfuncs it calls (through its subprograms too). */
export interface KfuncCaller {
  program: string;
  kfuncs: readonly string[];
}

/**
 * The kernel refuses any program that calls a kfunc unless the object is GPL-compatible
 * (add_kfunc_call, EINVAL at PROG_LOAD), whatever the program type.
 */
export function checkKfuncLicense(callers: readonly KfuncCaller[], license: string): (RuleViolation & { program: string })[] {
  if (gplCompatible(license)) return [];
  return callers.filter((c) => c.kfuncs.length > 0).map((c) => ({
    program: c.program, code: 'EINVAL',
    why: `program ${c.program} calls kernel function${c.kfuncs.length > 1 ? 's' : ''} ${c.kfuncs.join(', ')}, which needs a GPL-compatible license, the object's is ${JSON.stringify(license)}`,
    hint: 'add char _license[] SEC("license") = "GPL"; (or "Dual BSD/GPL"): the kernel lets only GPL-compatible programs call kfuncs',
  }));
}

/**
 * An unused struct_ops program (no struct_ops variable references it) is skipped with a
 * warning when something else loads. When nothing would, the object is a mistake (a missing
 * or misnamed variable), and the kernel, asked to load the program, refuses it: a struct_ops
 * program implements no member without one (ENOTSUPP). inspect and load() both refuse it so.
 */
export function unusedOnlyViolation(program: string): RuleViolation & { program: string } {
  return {
    program, code: 'EINVAL',
    why: `program ${program}: struct_ops program not used by any struct_ops map, and the object has no other program to load`,
    hint: 'bind it to a member of a SEC(".struct_ops") variable (the kernel refuses a struct_ops program that implements no member), or remove it',
  };
}
