// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * TypeScript types for values decoded from BTF: the shadow value's members (from the same
 * layout the runtime Proxy uses) and global data as `BpfObject.readGlobals()` decodes it.
 */
import { Btf, BtfKind, BTF_INT_BOOL, BTF_INT_CHAR, integerRange, type ShadowMember } from '../../index';
import { doc, propertyKey, quote } from './ts-text';

/** Nesting deeper than this is typed `unknown` (decodeValue stops at 32 levels). */
const MAX_DEPTH = 32;

/**
 * One property line of a shadow value type, with a doc comment saying the C type and what
 * values it takes. `program` is the type for function-pointer members.
 */
export function shadowMemberLines(m: ShadowMember, program: string, indent: string): string[] {
  const key = propertyKey(m.name);
  switch (m.kind) {
    case 'int':
    case 'char':
    case 'enum': {
      const { min, max } = integerRange(m);
      const names = m.enumerators?.map((e) => `${e.name}=${e.value}`).join(', ');
      const what = `${m.cType}: ${min}..${max}${names ? ` (${names})` : ''}`;
      return [doc(what, indent), `${indent}${key}: ${m.wide ? 'bigint' : 'number'};`];
    }
    case 'bool':
      return [doc(m.cType, indent), `${indent}${key}: boolean;`];
    case 'float':
      return [doc(m.cType, indent), `${indent}${key}: number;`];
    case 'string':
      return [doc(`${m.cType}: at most ${m.size - 1} bytes`, indent), `${indent}${key}: string;`];
    case 'program':
      return [doc(`${m.cType}: a struct_ops program of this object, or null`, indent), `${indent}${key}: ${program} | null;`];
    case 'bitfield':
      return [doc(`${m.cType} : ${m.bits} (bitfield, read-only)`, indent), `${indent}readonly ${key}: number;`];
    case 'raw':
      return [doc(`${m.cType} (${m.what}, read-only copy of its bytes)`, indent), `${indent}readonly ${key}: Buffer;`];
  }
}

/**
 * The TS type of `decodeValue(btf, typeId, bytes)`: ints number (bigint beyond 32 bits),
 * bools boolean, enums the enumerator name or the raw number, char arrays string, other
 * arrays T[], structs and unions objects, pointers bigint.
 */
export function decodedType(btf: Btf, typeId: number, indent: string, depth = 0): string {
  if (depth > MAX_DEPTH) return 'unknown';
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case BtfKind.INT:
      if (t.encoding & BTF_INT_BOOL) return 'boolean';
      return t.size === 1 || t.size === 2 || t.size === 4 ? 'number' : 'bigint';
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const raw = t.size === 1 || t.size === 2 || t.size === 4 ? 'number' : 'bigint';
      return [...new Set(t.values.map((v) => quote(v.name))), raw].join(' | ');
    }
    case BtfKind.PTR:
      return 'bigint';
    case BtfKind.FLOAT:
      return t.size === 4 || t.size === 8 ? 'number' : 'null';
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.elemType);
      if (elem.kind === BtfKind.INT && elem.size === 1 && (elem.encoding & BTF_INT_CHAR || elem.name === 'char')) return 'string';
      const inner = decodedType(btf, t.elemType, indent, depth + 1);
      return /^[A-Za-z]+$/.test(inner) ? `${inner}[]` : `Array<${inner}>`;
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const inner = `${indent}  `;
      const lines = t.members.map((m, i) => {
        const type = m.bitfieldSize > 0 ? 'number' : decodedType(btf, m.type, inner, depth + 1);
        return `${inner}${propertyKey(m.name || `__anon${i}`)}: ${type};`;
      });
      return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
    }
    default:
      return 'null';
  }
}
