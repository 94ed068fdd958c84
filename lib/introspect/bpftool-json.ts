// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Renders BTF-typed bytes the way `bpftool -j struct_ops dump` does (its btf_dumper), so
 * our `dump --json` can be compared with bpftool's field by field: 8-64 bit ints as numbers,
 * bitfields and odd-width ints as "0x.." strings, printable NUL-terminated char arrays as
 * strings, enums by enumerator name, pointers as numbers, and function pointers holding a
 * program id as `"<signature> <prog name>/prog_id:<id>"` (unset: `"<signature> 0"`).
 * Behaviour read from bpftool 7.8 (src/btf_dumper.c); the code is our own.
 */
import { Btf, BtfKind, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, type BtfType } from '../btf';
import type { ProgramRef } from './programs';

/** A JSON value whose 64-bit integers stay exact (bigint). */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 32;
const U32_MAX = 0xffffffffn;

/**
 * bpftool's spelling of a function prototype without a name: `u32 (struct sock *)`,
 * `void (struct sock *, const struct ack_sample *)`; parameter names are printed when the
 * prototype has them. Undefined for kinds bpftool cannot spell (it then prints the number).
 */
export function bpftoolSignature(btf: Btf, protoId: number): string | undefined {
  const t = btf.typeById(protoId);
  return t.kind === BtfKind.FUNC_PROTO ? funcSig(btf, t, undefined, 0) : undefined;
}

/**
 * Renders `bytes` as BTF type `typeId` in bpftool's JSON form.
 *
 * @param program - resolves a program id found in a function-pointer slot
 */
export function bpftoolValue(btf: Btf, typeId: number, bytes: Buffer, program: (id: number) => ProgramRef): JsonValue {
  return new Dumper(btf, program).value(typeId, 0, bytes, 0);
}

class Dumper {
  constructor(
    private readonly btf: Btf,
    private readonly program: (id: number) => ProgramRef,
  ) {}

  value(id: number, bitOffset: number, data: Buffer, depth: number): JsonValue {
    if (depth > MAX_DEPTH) return null;
    const t = this.btf.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
        return int(t.encoding, t.bits, t.bitOffset, bitOffset, data);
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const out: { [key: string]: JsonValue } = {};
        for (const m of t.members) {
          const at = data.subarray(m.bitOffset >> 3);
          out[m.name] = m.bitfieldSize > 0
            ? hex(readBits(at, m.bitOffset & 7, m.bitfieldSize))
            : this.value(m.type, m.bitOffset & 7, at, depth + 1);
        }
        return out;
      }
      case BtfKind.ARRAY:
        return this.array(t.elemType, t.nelems, data, depth);
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return enumValue(t, data);
      case BtfKind.PTR:
        return this.pointer(t.type, data);
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        return this.value(this.btf.resolve(t.type).id, bitOffset, data, depth + 1);
      default:
        // bpftool prints "(unknown)"/"(unsupported-kind)" here, which is not JSON.
        return null;
    }
  }

  private array(elemId: number, nelems: number, data: Buffer, depth: number): JsonValue {
    let elem = this.btf.typeById(elemId);
    // Qualifiers are skipped but typedefs are not: a typedef of char is not a string (bpftool).
    while (elem.kind === BtfKind.CONST || elem.kind === BtfKind.VOLATILE || elem.kind === BtfKind.RESTRICT ||
      elem.kind === BtfKind.TYPE_TAG) elem = this.btf.typeById(elem.type);
    if (nelems > 0 && elem.kind === BtfKind.INT && elem.size === 1 &&
      (elem.encoding === BTF_INT_CHAR || elem.name === 'char')) {
      const str = printableString(data, nelems);
      if (str !== undefined) return str;
    }
    const size = this.btf.sizeOf(elemId);
    const out: JsonValue[] = [];
    for (let i = 0; i < nelems && (i + 1) * size <= data.length; i++) {
      out.push(this.value(elemId, 0, data.subarray(i * size), depth + 1));
    }
    return out;
  }

  private pointer(target: number, data: Buffer): JsonValue {
    const value = data.readBigUInt64LE(0);
    // Only values that fit a u32 can be program ids; bigger ones are real addresses.
    if (value > U32_MAX) return value;
    const proto = this.btf.resolve(target);
    if (proto.kind !== BtfKind.FUNC_PROTO) return value;
    const sig = funcSig(this.btf, proto, undefined, 0);
    if (sig === undefined) return value;
    if (value === 0n) return `${sig} 0`;
    const ref = this.program(Number(value));
    return `${sig} ${ref.progName ?? '<unknown_prog_name>'}/prog_id:${ref.progId}`;
  }
}

function int(encoding: number, bits: number, intOffset: number, bitOffset: number, data: Buffer): JsonValue {
  if (bitOffset !== 0 || intOffset !== 0 || bits % 8 !== 0 || bits === 128) {
    return hex(readBits(data.subarray((bitOffset + intOffset) >> 3), (bitOffset + intOffset) & 7, bits));
  }
  switch (encoding) {
    case 0:
    case BTF_INT_SIGNED: {
      const signed = encoding === BTF_INT_SIGNED;
      if (bits === 64) return signed ? data.readBigInt64LE(0) : data.readBigUInt64LE(0);
      if (bits === 32) return signed ? data.readInt32LE(0) : data.readUInt32LE(0);
      if (bits === 16) return signed ? data.readInt16LE(0) : data.readUInt16LE(0);
      if (bits === 8) return signed ? data.readInt8(0) : data.readUInt8(0);
      return hex(readBits(data, 0, bits));
    }
    case BTF_INT_CHAR:
      // Printable: the character; else the byte as a \u00XX escape, i.e. the same code point.
      return String.fromCharCode(data[0]);
    case BTF_INT_BOOL:
      return data[0] !== 0;
    default:
      return null; // the kernel allows one encoding bit at most
  }
}

function enumValue(t: Extract<BtfType, { kind: BtfKind.ENUM | BtfKind.ENUM64 }>, data: Buffer): JsonValue {
  if (t.kind === BtfKind.ENUM64) {
    const raw = data.readBigUInt64LE(0);
    const hit = t.values.find((v) => BigInt.asUintN(64, BigInt(v.value)) === raw);
    return hit ? hit.name : BigInt.asIntN(64, raw);
  }
  // bpftool reads the value signed at the enum's size and compares it with each s32 value.
  let raw: bigint;
  switch (t.size) {
    case 8: raw = data.readBigInt64LE(0); break;
    case 4: raw = BigInt(data.readInt32LE(0)); break;
    case 2: raw = BigInt(data.readInt16LE(0)); break;
    case 1: raw = BigInt(data.readInt8(0)); break;
    default: return null;
  }
  const hit = t.values.find((v) => BigInt(Number(v.value) | 0) === raw);
  return hit ? hit.name : raw >= -(2n ** 53n) && raw <= 2n ** 53n ? Number(raw) : raw;
}

/** The bytes up to the first NUL when every one is printable ASCII; undefined otherwise. */
function printableString(data: Buffer, nelems: number): string | undefined {
  const end = Math.min(nelems, data.length);
  for (let i = 0; i < end; i++) {
    const c = data[i];
    if (c === 0) return data.toString('latin1', 0, i);
    if (c <= 0x1f || c >= 0x7f) return undefined;
  }
  return undefined; // no NUL inside the array
}

function readBits(data: Buffer, bitOffset: number, bits: number): bigint {
  const bytes = Math.min(data.length, (bitOffset + bits + 7) >> 3);
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]);
  return (v >> BigInt(bitOffset)) & ((1n << BigInt(bits)) - 1n);
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** bpftool's `btf_dump_func`: return type, optional name, then the parameters. */
function funcSig(btf: Btf, proto: Extract<BtfType, { kind: BtfKind.FUNC_PROTO }>, name: string | undefined, depth: number): string | undefined {
  const ret = typeOnly(btf, proto.returnType, depth + 1);
  if (ret === undefined) return undefined;
  const params: string[] = [];
  for (const p of proto.params) {
    if (p.type === 0) {
      params.push('...');
      continue;
    }
    const spelled = typeOnly(btf, p.type, depth + 1);
    if (spelled === undefined) return undefined;
    params.push(p.name ? spelled + p.name : spelled.replace(/ $/, ''));
  }
  return `${ret}${name ?? ''}(${params.join(', ')})`;
}

/** bpftool's `__btf_dumper_type_only`: each spelled type ends with a space, pointers add `* `. */
function typeOnly(btf: Btf, id: number, depth: number): string | undefined {
  if (id === 0) return 'void ';
  if (depth > MAX_DEPTH) return undefined;
  const t = btf.typeById(id);
  switch (t.kind) {
    case BtfKind.INT:
    case BtfKind.TYPEDEF:
    case BtfKind.FLOAT:
      return `${t.name} `;
    case BtfKind.STRUCT:
      return `struct ${t.name} `;
    case BtfKind.UNION:
      return `union ${t.name} `;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return `enum ${t.name} `;
    case BtfKind.FWD:
      return `${t.union ? 'union' : 'struct'} ${t.name} `;
    case BtfKind.ARRAY: {
      const elem = typeOnly(btf, t.elemType, depth + 1);
      return elem === undefined ? undefined : `${elem}[${t.nelems}]`;
    }
    case BtfKind.PTR: {
      const target = typeOnly(btf, t.type, depth + 1);
      return target === undefined ? undefined : `${target}* `;
    }
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT: {
      const q = t.kind === BtfKind.CONST ? 'const' : t.kind === BtfKind.VOLATILE ? 'volatile' : 'restrict';
      const target = typeOnly(btf, t.type, depth + 1);
      return target === undefined ? undefined : `${q} ${target}`;
    }
    case BtfKind.FUNC_PROTO:
      return funcSig(btf, t, undefined, depth + 1);
    default:
      // TYPE_TAG and friends: bpftool gives up on the whole signature.
      return undefined;
  }
}
