// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The shape of a shadow value: how each member of a local struct_ops type is read and
 * written from JavaScript, decided once from the object's BTF. Both the runtime view
 * (value.ts) and `struct-ops gen types` use it, so the generated types and the runtime
 * checks cannot disagree.
 */
import { Btf, BtfKind, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, type BtfType } from '../btf';
import { BpfError } from '../errors';

interface MemberBase {
  /** Property name: the C member name (`__anon<index>` for an unnamed struct/union member). */
  name: string;
  /** Index among the struct's members. */
  index: number;
  /** Byte offset in the local image. */
  offset: number;
  /** Byte size (0 for bitfields). */
  size: number;
  /** C spelling of the member's type, for messages and generated docs, e.g. `u32`, `char [16]`. */
  cType: string;
}

/** An integer (or enum) member: JS number, or bigint when wider than 32 bits. */
export interface IntegerMember extends MemberBase {
  kind: 'int' | 'char' | 'enum';
  signed: boolean;
  /** Read and written as bigint (64-bit and wider). */
  wide: boolean;
  /** Enumerator names and values (enums only), for messages and generated docs. */
  enumerators?: { name: string; value: number | bigint }[];
}

/** A member whose JS representation needs no more than its kind. */
export interface PlainMember extends MemberBase {
  /** `bool`: boolean; `float`: number; `program`: a program or null. */
  kind: 'bool' | 'float' | 'program';
}

/** A char array: a string of at most `size - 1` UTF-8 bytes (the last byte stays NUL). */
export interface StringMember extends MemberBase {
  kind: 'string';
}

/** A bitfield: read as a number, never written (the kernel's struct_ops loader rejects bitfields). */
export interface BitfieldMember extends MemberBase {
  kind: 'bitfield';
  bitOffset: number;
  bits: number;
}

/** Anything else (nested struct, union, non-char array, non-function pointer): read-only bytes. */
export interface RawMember extends MemberBase {
  kind: 'raw';
  /** What it is, for the read-only error: `struct`, `union`, `array`, `pointer`, ... */
  what: string;
}

/** How one member of a shadow value behaves. */
export type ShadowMember = IntegerMember | PlainMember | StringMember | BitfieldMember | RawMember;

/**
 * Describes every member of the local struct type `typeId` (members in declaration order;
 * unnamed padding bitfields are left out).
 *
 * @param dataLength - bytes of the variable the struct is read from, when known
 * @throws {BpfError} EINVAL when `typeId` is not a struct, or its BTF describes a member
 *   the value cannot hold: past the struct (or the variable), off a byte boundary, or
 *   under a repeated name
 */
export function shadowLayout(btf: Btf, typeId: number, dataLength?: number): ShadowMember[] {
  const type = btf.resolve(typeId);
  if (type.kind !== BtfKind.STRUCT) {
    throw new BpfError(`btf type ${typeId} is not a struct; a shadow value needs the struct_ops variable's struct`, {
      code: 'EINVAL', typeId,
    });
  }
  const out: ShadowMember[] = [];
  const bad = (what: string): BpfError => new BpfError(`btf struct ${type.name || typeId}: ${what}`, {
    code: 'EINVAL', typeId, hint: 'the object file is corrupt or was not produced by a BPF compiler',
  });
  // The variable's bytes hold the whole struct, or no member can be read safely.
  if (dataLength !== undefined && type.size > dataLength) {
    throw bad(`struct is ${type.size} bytes but the variable holds ${dataLength}`);
  }
  const seen = new Set<string>();
  type.members.forEach((m, index) => {
    if (m.name !== '') {
      // The shadow value's keys are member names: each must be unique (C requires it too).
      if (seen.has(m.name)) throw bad(`member name ${JSON.stringify(m.name)} is repeated`);
      seen.add(m.name);
    }
    const cType = btf.typeName(m.type);
    if (m.bitfieldSize > 0) {
      if (m.bitOffset + m.bitfieldSize > type.size * 8) throw bad(`bitfield ${m.name || index} ends past the struct`);
      // `long: 64;`-style unnamed bitfields are only padding.
      if (m.name !== '') out.push({ name: m.name, index, offset: Math.floor(m.bitOffset / 8), size: 0, cType, kind: 'bitfield', bitOffset: m.bitOffset, bits: m.bitfieldSize });
      return;
    }
    if (m.bitOffset % 8 !== 0) throw bad(`member ${m.name || index} starts at bit ${m.bitOffset}, not on a byte`);
    const base: MemberBase = { name: m.name || `__anon${index}`, index, offset: m.bitOffset / 8, size: btf.sizeOf(m.type), cType };
    if (base.offset + base.size > type.size) {
      throw bad(`member ${base.name} (${base.size} bytes at ${base.offset}) ends past the struct's ${type.size} bytes`);
    }
    if (m.name === '') {
      if (seen.has(base.name)) throw bad(`member name ${base.name} is repeated`);
      seen.add(base.name);
    }
    out.push(classify(btf, btf.resolve(m.type), base));
  });
  return out;
}

/**
 * Describes one typed value at `offset` (a global variable of a data section, say) the way
 * struct members are described, so the same codec reads and writes it.
 */
export function valueLayout(btf: Btf, typeId: number, name: string, offset: number, dataLength?: number): ShadowMember {
  const base: MemberBase = { name, index: 0, offset, size: btf.sizeOf(typeId), cType: btf.typeName(typeId) };
  if (dataLength !== undefined && (!Number.isInteger(offset) || offset < 0 || offset + base.size > dataLength)) {
    throw new BpfError(`variable ${name} (${base.size} bytes at ${offset}) lies outside its ${dataLength}-byte section`, {
      code: 'EINVAL', typeId, hint: 'the object file is corrupt or was not produced by a BPF compiler',
    });
  }
  return classify(btf, btf.resolve(typeId), base);
}

function classify(btf: Btf, t: BtfType, base: MemberBase): ShadowMember {
  switch (t.kind) {
    case BtfKind.INT: {
      if (t.encoding & BTF_INT_BOOL) return { ...base, kind: 'bool' };
      const kind = isCharInt(t) ? 'char' : 'int';
      return { ...base, kind, signed: (t.encoding & BTF_INT_SIGNED) !== 0, wide: t.size > 4 };
    }
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return {
        ...base, kind: 'enum', signed: t.signed, wide: t.size > 4,
        enumerators: t.values.map((v) => ({ name: v.name, value: v.value })),
      };
    case BtfKind.FLOAT:
      if (t.size === 4 || t.size === 8) return { ...base, kind: 'float' };
      return { ...base, kind: 'raw', what: `${t.size}-byte float` };
    case BtfKind.PTR:
      if (btf.resolve(t.type).kind === BtfKind.FUNC_PROTO) return { ...base, kind: 'program' };
      return { ...base, kind: 'raw', what: 'pointer' };
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.elemType);
      if (elem.kind === BtfKind.INT && isCharInt(elem) && t.nelems > 0) return { ...base, kind: 'string' };
      return { ...base, kind: 'raw', what: 'array' };
    }
    case BtfKind.STRUCT:
      return { ...base, kind: 'raw', what: 'struct' };
    case BtfKind.UNION:
      return { ...base, kind: 'raw', what: 'union' };
    default:
      return { ...base, kind: 'raw', what: BtfKind[t.kind].toLowerCase() };
  }
}

/** Plain `char` (clang marks it SIGNED only, by name) or an int with BTF_INT_CHAR. */
function isCharInt(t: { name: string; size: number; encoding: number }): boolean {
  return t.size === 1 && ((t.encoding & BTF_INT_CHAR) !== 0 || t.name === 'char');
}

/** Inclusive range of an integer member, as bigints. */
export function integerRange(m: IntegerMember): { min: bigint; max: bigint } {
  const bits = BigInt(m.size * 8);
  return m.signed
    ? { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n }
    : { min: 0n, max: (1n << bits) - 1n };
}
