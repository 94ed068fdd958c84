// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** C declarations of struct members: `u32 (*ssthresh)(struct sock *sk)`, `char name[16]`. */
import { Btf, BtfKind, type BtfType } from '../btf';

type FuncProto = Extract<BtfType, { kind: BtfKind.FUNC_PROTO }>;

/**
 * The FUNC_PROTO a member points to when it is a function pointer (qualifiers and typedefs
 * followed on both sides of the pointer), else undefined.
 */
export function functionPointerProto(btf: Btf, typeId: number): FuncProto | undefined {
  const t = btf.resolve(typeId);
  if (t.kind !== BtfKind.PTR) return undefined;
  const target = btf.resolve(t.type);
  return target.kind === BtfKind.FUNC_PROTO ? target : undefined;
}

/**
 * Declares `name` with type `typeId` as C would. A function pointer's parameters are named
 * from the prototype itself, else from `paramNames` (e.g. a kernel stub's), when known.
 */
export function declaration(btf: Btf, typeId: number, name: string, paramNames: readonly string[] = []): string {
  const proto = btf.typeById(btf.skipModifiers(typeId)).kind === BtfKind.PTR ? functionPointerProto(btf, typeId) : undefined;
  if (proto) {
    const params = proto.params.map((p, i) => (p.type === 0 ? '...' : named(btf.typeName(p.type), p.name || paramNames[i] || '')));
    return named(btf.typeName(proto.returnType), `(*${name})(${params.length > 0 ? params.join(', ') : 'void'})`);
  }
  const spelled = btf.typeName(typeId);
  if (spelled.includes('(*)')) return spelled.replace('(*)', `(*${name})`);
  const bracket = spelled.indexOf('[');
  if (bracket >= 0) return `${spelled.slice(0, bracket).trimEnd()} ${name}${spelled.slice(bracket)}`;
  return named(spelled, name);
}

/** `type name`, without the space after a `*`; declarators too complex to splice stay unnamed. */
function named(type: string, name: string): string {
  if (name === '') return type;
  if (type.includes('(') || type.includes('[')) return type;
  return type.endsWith('*') ? `${type}${name}` : `${type} ${name}`;
}
