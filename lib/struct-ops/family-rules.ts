/**
 * What each struct_ops family's kernel code checks before it accepts a map, so `inspect`
 * can predict it and load() can refuse early with the member and a hint: one table of
 * rules per family, shared by both (inspect lists every violation, load() throws the first).
 *
 * Facts (kernel 6.x):
 * - every struct_ops program needs a GPL-compatible license (the verifier's
 *   check_struct_ops_btf_id: "struct ops programs must have a GPL compatible license");
 * - tcp_congestion_ops (net/ipv4/bpf_tcp_ca.c, tcp_cong.c): ssthresh, undo_cwnd and one of
 *   cong_avoid/cong_control are required (tcp_validate_congestion_control, EINVAL); get_info
 *   is refused (bpf_tcp_ca_check_member, ENOTSUPP); `.name` must be non-empty and
 *   NUL-terminated within its 16 bytes (bpf_obj_name_cpy, EINVAL);
 * - bpf_dummy_ops (net/bpf/bpf_dummy_struct_ops.c) exists for BPF_PROG_TEST_RUN only: its
 *   reg() always fails with EOPNOTSUPP, so a map of it can be loaded but never registered.
 * Later families add an entry to FAMILIES.
 */
import { BtfKind, type Btf } from '../btf';


/** The rules of one family, as the kernel applies them when a map is created or registered. */
export interface FamilyRules {
  /** Groups of members; at least one member of each group must be bound to a program. */
  required: readonly (readonly string[])[];
  /** Members the kernel refuses to take a program for, with the errno it answers. */
  refused: ReadonlyMap<string, string>;
  /** A char-array member that must hold a non-empty, NUL-terminated name. */
  nameMember?: string;
  /** Why registering a map of this family always fails, when it does. */
  unregistrable?: string;
}

const FAMILIES: ReadonlyMap<string, FamilyRules> = new Map<string, FamilyRules>([
  ['tcp_congestion_ops', {
    required: [['ssthresh'], ['undo_cwnd'], ['cong_avoid', 'cong_control']],
    refused: new Map([['get_info', 'ENOTSUPP']]),
    nameMember: 'name',
  }],
  ['bpf_dummy_ops', {
    required: [],
    refused: new Map(),
    unregistrable: 'bpf_dummy_ops exists for BPF_PROG_TEST_RUN only: the kernel refuses to register it (EOPNOTSUPP)',
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

/** What a map of a family is checked on. */
export interface FamilyCheckInput {
  kernelType: string;
  /** Members bound to a program. */
  bound: ReadonlySet<string>;
  /** The object's license string. */
  license: string;
  /** Bytes of the `nameMember`, when the variable has it (undefined: member absent). */
  nameBytes?: Buffer;
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
  for (const group of rules.required) {
    if (group.some((m) => input.bound.has(m))) continue;
    out.push({
      member: group[0], code: 'EINVAL',
      why: group.length === 1
        ? `${input.kernelType} requires ${group[0]}, which has no program`
        : `${input.kernelType} requires one of ${group.join(', ')}, and none has a program`,
      hint: `the kernel refuses a ${input.kernelType} without it: bind a program to ${group.join(' or ')}`,
    });
  }
  for (const [member, code] of rules.refused) {
    if (!input.bound.has(member)) continue;
    out.push({
      member, code,
      why: `the kernel does not accept a BPF program for ${input.kernelType}.${member}`,
      hint: `leave ${member} unset: ${input.kernelType} programs cannot implement it`,
    });
  }
  if (rules.nameMember !== undefined && input.nameBytes !== undefined) {
    const nul = input.nameBytes.indexOf(0);
    if (nul <= 0) {
      out.push({
        member: rules.nameMember, code: 'EINVAL',
        why: nul === 0
          ? `.${rules.nameMember} is empty`
          : `.${rules.nameMember} is not NUL-terminated within its ${input.nameBytes.length} bytes`,
        hint: `give it a name of 1 to ${input.nameBytes.length - 1} characters`,
      });
    }
  }
  if (rules.unregistrable !== undefined) {
    out.push({ code: 'EOPNOTSUPP', why: rules.unregistrable, hint: 'load it for BPF_PROG_TEST_RUN; it cannot be registered', atRegister: true });
  }
  return out;
}

/**
 * The check input of struct_ops variable `s` of an object: its bound members, and the
 * bytes of its family's name member (found by name in the object's own BTF).
 */
export function familyCheckInput(
  btf: Btf, s: { typeId: number; data: Buffer; kernelTypeName: string }, bound: Iterable<string>, license: string,
): FamilyCheckInput {
  const input: FamilyCheckInput = { kernelType: s.kernelTypeName, bound: new Set(bound), license };
  const nameMember = FAMILIES.get(s.kernelTypeName)?.nameMember;
  if (nameMember === undefined) return input;
  const type = btf.resolve(s.typeId);
  if (type.kind !== BtfKind.STRUCT) return input;
  const m = type.members.find((x) => x.name === nameMember);
  if (!m || m.bitfieldSize > 0 || m.bitOffset % 8 !== 0) return input;
  const from = m.bitOffset / 8;
  const to = from + btf.sizeOf(m.type);
  if (to <= s.data.length) input.nameBytes = s.data.subarray(from, to);
  return input;
}
