// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BTF type model shared by the parser, the encoder, CO-RE and struct_ops matching.
 * Kinds and layouts follow the kernel's Documentation/bpf/btf.rst (UAPI linux/btf.h).
 */

/** BTF_KIND_* values from linux/btf.h. */
export enum BtfKind {
  UNKN = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

/** Kind names accepted by lookups, as written in C (`'struct'`, `'typedef'`, ...). */
export type BtfKindName =
  | 'void' | 'int' | 'ptr' | 'array' | 'struct' | 'union' | 'enum' | 'fwd' | 'typedef'
  | 'volatile' | 'const' | 'restrict' | 'func' | 'func_proto' | 'var' | 'datasec'
  | 'float' | 'decl_tag' | 'type_tag' | 'enum64';

/** BTF_INT_* encoding bits (a BtfKind.INT type's `encoding`): a signed integer. */
export const BTF_INT_SIGNED = 1 << 0;
/** BTF_INT_* encoding bit: a character (clang marks plain `char` SIGNED only, by name). */
export const BTF_INT_CHAR = 1 << 1;
/** BTF_INT_* encoding bit: a `_Bool`. */
export const BTF_INT_BOOL = 1 << 2;

/** BTF_VAR_* / BTF_FUNC_* linkage values. */
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

interface BtfTypeBase {
  /** Type id (1-based; 0 is void). For split BTF, ids continue after the base. */
  id: number;
  /** Offset of the name in the string section of the BTF that holds this type. */
  nameOff: number;
  /** Resolved name; '' for anonymous types. */
  name: string;
}

export interface BtfInt extends BtfTypeBase {
  kind: BtfKind.INT;
  size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL bits. */
  encoding: number;
  /** BTF_INT_OFFSET of the int data (bits). */
  bitOffset: number;
  /** BTF_INT_BITS. */
  bits: number;
}

/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, FWD-less references: one target type. */
export interface BtfRef extends BtfTypeBase {
  kind: BtfKind.PTR | BtfKind.TYPEDEF | BtfKind.VOLATILE | BtfKind.CONST | BtfKind.RESTRICT | BtfKind.TYPE_TAG;
  type: number;
  /** TYPE_TAG only: kind_flag marks an `__attribute__`-style tag (Linux 6.14). Absent = false. */
  kindFlag?: boolean;
}

export interface BtfArray extends BtfTypeBase {
  kind: BtfKind.ARRAY;
  elemType: number;
  indexType: number;
  nelems: number;
}

export interface BtfMember {
  /** Offset of the name in the string section. */
  nameOff: number;
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits; 0 when not a bitfield. */
  bitfieldSize: number;
}

export interface BtfComposite extends BtfTypeBase {
  kind: BtfKind.STRUCT | BtfKind.UNION;
  size: number;
  /** Whether kind_flag is set (member offsets then encode bitfield sizes). */
  kindFlag: boolean;
  members: BtfMember[];
}

export interface BtfEnumValue {
  nameOff: number;
  name: string;
  /** ENUM values are numbers (signed or unsigned per `signed`); ENUM64 values are bigints. */
  value: number | bigint;
}

export interface BtfEnum extends BtfTypeBase {
  kind: BtfKind.ENUM | BtfKind.ENUM64;
  size: number;
  /** kind_flag: values are signed. */
  signed: boolean;
  values: BtfEnumValue[];
}

export interface BtfFwd extends BtfTypeBase {
  kind: BtfKind.FWD;
  /** kind_flag: forward declaration of a union (else a struct). */
  union: boolean;
}

export interface BtfFunc extends BtfTypeBase {
  kind: BtfKind.FUNC;
  /** The FUNC_PROTO id. */
  type: number;
  /** BTF_FUNC_STATIC / GLOBAL / EXTERN (stored in vlen). */
  linkage: number;
}

export interface BtfParam {
  nameOff: number;
  name: string;
  type: number;
}

export interface BtfFuncProto extends BtfTypeBase {
  kind: BtfKind.FUNC_PROTO;
  /** Return type id (0 = void). */
  returnType: number;
  params: BtfParam[];
}

export interface BtfVar extends BtfTypeBase {
  kind: BtfKind.VAR;
  type: number;
  linkage: number;
}

export interface BtfVarSecinfo {
  /** VAR (or FUNC for .ksyms) type id. */
  type: number;
  offset: number;
  size: number;
}

export interface BtfDatasec extends BtfTypeBase {
  kind: BtfKind.DATASEC;
  size: number;
  vars: BtfVarSecinfo[];
}

export interface BtfFloat extends BtfTypeBase {
  kind: BtfKind.FLOAT;
  size: number;
}

export interface BtfDeclTag extends BtfTypeBase {
  kind: BtfKind.DECL_TAG;
  type: number;
  /** -1 for the type itself, else the member/param index. */
  componentIdx: number;
  /** kind_flag marks an `__attribute__`-style tag (Linux 6.14). Absent = false. */
  kindFlag?: boolean;
}

export interface BtfVoid extends BtfTypeBase {
  kind: BtfKind.UNKN;
}

export type BtfType =
  | BtfVoid | BtfInt | BtfRef | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfFunc
  | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

/** Kinds that are transparent when resolving a type to its underlying one. */
export const MODIFIER_KINDS: ReadonlySet<BtfKind> = new Set([
  BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG,
]);
