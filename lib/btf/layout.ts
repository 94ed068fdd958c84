// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Byte size and alignment of BTF types, as the C compiler for BPF (LP64) lays them out.
 * Used to size struct_ops values and to check member layouts against the kernel's.
 */
import { malformed } from '../errors';
import { kindName } from './kinds';
import { BtfKind, type BtfType } from './types';

/** Anything that can hand out decoded types by id (a Btf). */
export interface TypeSource {
  /** Blob name for error messages. */
  readonly name: string;
  /** Returns the type with this id; throws BpfError when out of range. */
  typeById(id: number): BtfType;
}

/** Longest typedef/modifier/array chain followed before assuming a cycle (libbpf stops at 32). */
export const MAX_TYPE_CHAIN = 64;

/** Pointer size: BPF is always 64-bit. */
const PTR_SIZE = 8;

/**
 * Returns the byte size of a type, following typedefs, modifiers and VARs and
 * multiplying out arrays.
 *
 * @throws BpfError (EINVAL) for void, FUNC, FUNC_PROTO, FWD and DECL_TAG (no size),
 *   for a reference cycle, or a size beyond 32 bits
 */
export function sizeOf(src: TypeSource, id: number): number {
  const top = id;
  let mult = 1;
  for (let depth = 0; depth <= MAX_TYPE_CHAIN; depth++) {
    const t = src.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FLOAT:
      case BtfKind.DATASEC:
        return checkedSize(src, top, mult * t.size);
      case BtfKind.PTR:
        return checkedSize(src, top, mult * PTR_SIZE);
      case BtfKind.TYPEDEF:
      case BtfKind.CONST:
      case BtfKind.VOLATILE:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.VAR:
        id = t.type;
        break;
      case BtfKind.ARRAY:
        mult = checkedSize(src, top, mult * t.nelems);
        id = t.elemType;
        break;
      default:
        throw malformed(`btf ${src.name}: type ${t.id} (${kindName(t.kind)}) has no size`, { typeId: t.id });
    }
  }
  throw chainError(src, id);
}

/**
 * Returns the alignment of a type in bytes. Scalars align to their size (capped at the
 * pointer size, as libbpf does); a struct whose members are not naturally aligned, or
 * whose size is not a multiple of its alignment, is packed (1).
 *
 * @throws BpfError (EINVAL) for types without a layout or a reference cycle
 */
export function alignOf(src: TypeSource, id: number): number {
  return alignRec(src, id, 0, new Map());
}

function alignRec(src: TypeSource, id: number, depth: number, memo: Map<number, number>): number {
  if (depth > MAX_TYPE_CHAIN) throw chainError(src, id);
  const known = memo.get(id);
  if (known !== undefined) return known;
  const t = src.typeById(id);
  let align: number;
  switch (t.kind) {
    case BtfKind.INT:
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
    case BtfKind.FLOAT:
      align = Math.max(1, Math.min(PTR_SIZE, t.size));
      break;
    case BtfKind.PTR:
      align = PTR_SIZE;
      break;
    case BtfKind.TYPEDEF:
    case BtfKind.CONST:
    case BtfKind.VOLATILE:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
    case BtfKind.VAR:
      align = alignRec(src, t.type, depth + 1, memo);
      break;
    case BtfKind.ARRAY:
      align = alignRec(src, t.elemType, depth + 1, memo);
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      align = 1;
      let packed = false;
      for (const m of t.members) {
        const a = alignRec(src, m.type, depth + 1, memo);
        // Bitfields sit at arbitrary bit offsets by design; only whole members reveal packing.
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) packed = true;
        align = Math.max(align, a);
      }
      if (packed || t.size % align !== 0) align = 1;
      break;
    }
    default:
      throw malformed(`btf ${src.name}: type ${t.id} (${kindName(t.kind)}) has no alignment`, { typeId: t.id });
  }
  memo.set(id, align);
  return align;
}

function checkedSize(src: TypeSource, id: number, size: number): number {
  // The kernel keeps type sizes in u32; anything larger is a corrupt or hostile blob.
  if (size > 0xffffffff) throw malformed(`btf ${src.name}: type ${id} is larger than 4 GiB`, { typeId: id });
  return size;
}

function chainError(src: TypeSource, id: number): Error {
  return malformed(`btf ${src.name}: type chain at ${id} is longer than ${MAX_TYPE_CHAIN} (cycle?)`, { typeId: id });
}
