// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { Btf, BtfKind, type BtfComposite, type BtfType } from '../btf';
import { KernelBtfs } from '../object';
import { VALUE_TYPE_PREFIX } from '../struct-ops';
import { ownNamesStartingWith } from './btf-names';
import { declaration, functionPointerProto } from './declare';

/** One member of a kernel struct_ops type. */
export interface StructOpsTypeMember {
  name: string;
  /** Index in the struct: the expected_attach_type of a program for this member. */
  index: number;
  /** Byte offset in the struct. */
  offset: number;
  /** Size in bytes (rounded up for a bitfield). */
  size: number;
  /** Bitfield width in bits; 0 for ordinary members. */
  bitfieldSize: number;
  /** Function pointer (a program can implement it) or data. */
  kind: 'function' | 'data';
  /** C declaration, e.g. `u32 (*ssthresh)(struct sock *sk)` or `char name[16]`. */
  declaration: string;
  /**
   * For function pointers whose prototype has no parameter names: the kernel stub function
   * the names were taken from (e.g. `bpf_tcp_ca_ssthresh`), if one was found.
   */
  namesFrom?: string;
}

/** A struct_ops type the running kernel supports. */
export interface StructOpsTypeInfo {
  /** `'tcp_congestion_ops'`. */
  name: string;
  /** `'vmlinux'` or the module whose BTF defines it. */
  module: string;
  /** Id of `struct T` (programs' attach_btf_id). */
  typeId: number;
  /** Id of `struct bpf_struct_ops_T` (a map's btf_vmlinux_value_type_id). */
  valueTypeId: number;
  /** sizeof(struct bpf_struct_ops_T): a map's value size. */
  valueSize: number;
  /** sizeof(struct T). */
  size: number;
  members: StructOpsTypeMember[];
}

/**
 * Lists the struct_ops types the running kernel and its loaded modules support: every
 * `struct bpf_struct_ops_T` whose `data` member is `struct T`, in vmlinux then module
 * order. Reads only /sys/kernel/btf (no privileges needed).
 *
 * @param name - only this type (`'tcp_congestion_ops'`; the `bpf_struct_ops_` prefix is
 *   accepted too); an empty list when the kernel lacks it
 * @throws {BpfError} when the kernel exposes no BTF.
 * @example
 * const [tcp] = listStructOpsTypes('tcp_congestion_ops');
 * tcp.members.find((m) => m.name === 'ssthresh')?.declaration; // 'u32 (*ssthresh)(struct sock *sk)'
 */
export function listStructOpsTypes(name?: string): StructOpsTypeInfo[] {
  const wanted = name?.startsWith(VALUE_TYPE_PREFIX) ? name.slice(VALUE_TYPE_PREFIX.length) : name;
  const result: StructOpsTypeInfo[] = [];
  for (const { btf, module } of new KernelBtfs().sources()) {
    const names = wanted !== undefined ? [VALUE_TYPE_PREFIX + wanted] : ownNamesStartingWith(btf, VALUE_TYPE_PREFIX).sort();
    let stubs: StubIndex | undefined;
    for (const valueName of names) {
      const t = btf.findByName(valueName, BtfKind.STRUCT, { ownOnly: true });
      if (t?.kind !== BtfKind.STRUCT) continue;
      const info = describe(btf, t, valueName.slice(VALUE_TYPE_PREFIX.length), module ?? 'vmlinux', () => (stubs ??= stubIndex(btf)));
      if (info) result.push(info);
    }
  }
  return result;
}

/**
 * The type's entry when `value` is a real struct_ops value type (`data` member of type
 * `struct T`); other `bpf_struct_ops_*` structs (bpf_struct_ops_map, _link, ...) are not.
 */
function describe(btf: Btf, value: BtfComposite, name: string, module: string, stubs: () => StubIndex): StructOpsTypeInfo | undefined {
  const data = value.members.find((m) => m.name === 'data');
  const t = data ? btf.resolve(data.type) : undefined;
  if (t?.kind !== BtfKind.STRUCT || t.name !== name) return undefined;
  const members = t.members.map((m, index): StructOpsTypeMember => {
    const proto = m.bitfieldSize === 0 ? functionPointerProto(btf, m.type) : undefined;
    const stub = proto && proto.params.some((p) => p.type !== 0 && p.name === '') ? stubFor(btf, stubs(), name, m.name, proto.id) : undefined;
    const names = stub ? paramNames(btf, stub) : [];
    return {
      name: m.name,
      index,
      offset: Math.floor(m.bitOffset / 8),
      size: m.bitfieldSize > 0 ? Math.ceil(m.bitfieldSize / 8) : btf.sizeOf(m.type),
      bitfieldSize: m.bitfieldSize,
      kind: proto ? 'function' : 'data',
      declaration: m.bitfieldSize > 0 ? `${declaration(btf, m.type, m.name)} : ${m.bitfieldSize}` : declaration(btf, m.type, m.name, names),
      ...(stub ? { namesFrom: stub.name } : {}),
    };
  });
  return { name, module, typeId: t.id, valueTypeId: value.id, valueSize: value.size, size: t.size, members };
}

function paramNames(btf: Btf, func: BtfType): string[] {
  const proto = func.kind === BtfKind.FUNC ? btf.typeById(func.type) : undefined;
  return proto?.kind === BtfKind.FUNC_PROTO ? proto.params.map((p) => p.name) : [];
}

/** Names of this BTF's own `bpf_*` strings: where older kernel stubs are found. */
interface StubIndex {
  bpfNames: string[];
  /** Names starting with `__`, collected only when a `bpf_` name did not match. */
  underscoredNames: () => string[];
}

function stubIndex(btf: Btf): StubIndex {
  let underscored: string[] | undefined;
  return { bpfNames: ownNamesStartingWith(btf, 'bpf_'), underscoredNames: () => (underscored ??= ownNamesStartingWith(btf, '__')) };
}

/**
 * Finds the kernel's stub for a member, whose parameters are named. Since Linux 6.9 the
 * cfi stubs follow `<T>__<member>` (the kernel reads `__nullable` hints from their
 * parameter names); older subsystems name them `bpf_<subsystem>_<member>` (tcp:
 * `bpf_tcp_ca_ssthresh`), HID-BPF `__hid_bpf_...` (`__hid_bpf_rdesc_fixup`), tried
 * in that order. A stub must have exactly the member's prototype and be the only match.
 */
function stubFor(btf: Btf, stubs: StubIndex, type: string, member: string, protoId: number): BtfType | undefined {
  const proto = btf.typeById(protoId);
  const same = (f: BtfType | undefined): boolean => {
    if (f?.kind !== BtfKind.FUNC) return false;
    const p = btf.typeById(f.type);
    return p.kind === BtfKind.FUNC_PROTO && proto.kind === BtfKind.FUNC_PROTO && p.returnType === proto.returnType &&
      p.params.length === proto.params.length && p.params.every((x, i) => x.type === proto.params[i].type && x.name !== '');
  };
  const exact = btf.findByName(`${type}__${member}`, BtfKind.FUNC, { ownOnly: true });
  if (same(exact)) return exact;
  const unique = (names: string[], suffixes: string[]): BtfType | undefined => {
    const matches = names
      .filter((n) => suffixes.some((x) => n.endsWith(x)))
      .flatMap((n) => btf.findAllByName(n, BtfKind.FUNC, { ownOnly: true }))
      .filter(same);
    return matches.length === 1 ? matches[0] : undefined;
  };
  // HID-BPF's stubs drop the member's own first word: hid_rdesc_fixup -> __hid_bpf_rdesc_fixup.
  const shortened = member.includes('_') ? [`_${member.slice(member.indexOf('_') + 1)}`] : [];
  return unique(stubs.bpfNames, [`_${member}`]) ?? unique(stubs.underscoredNames(), [`_${member}`, ...shortened]);
}
