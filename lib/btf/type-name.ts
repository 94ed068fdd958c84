// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Spells a BTF type the way C declares it (`struct sock *`, `u32 (*)(struct sock *)`,
 * `char [16]`), for error messages and dumps. Declarators are built inside-out: each
 * pointer, array or function wraps the declarator of what refers to it.
 */
import { malformed } from '../errors';
import { MAX_TYPE_CHAIN, type TypeSource } from './layout';
import { BtfKind, type BtfType } from './types';

/** Longest spelling produced; a hostile blob could otherwise nest protos exponentially. */
const MAX_NAME_LENGTH = 4096;

/**
 * Returns the C spelling of a type.
 *
 * @param src - the BTF holding the type
 * @param id - type id (0 is `void`)
 * @throws BpfError (EINVAL) for an out-of-range id, a reference cycle or an absurdly long spelling
 */
export function typeName(src: TypeSource, id: number): string {
  return new Speller(src).spell(id, '', 0);
}

class Speller {
  // Parameter types recur (every tcp_congestion_ops op takes `struct sock *`); spell each once.
  private readonly memo = new Map<number, string>();

  constructor(private readonly src: TypeSource) {}

  spell(id: number, inner: string, depth: number): string {
    if (depth > MAX_TYPE_CHAIN) {
      throw malformed(`btf ${this.src.name}: type chain at ${id} is longer than ${MAX_TYPE_CHAIN} (cycle?)`, {
        typeId: id,
      });
    }
    if (inner === '') {
      const known = this.memo.get(id);
      if (known !== undefined) return known;
    }
    const out = this.declare(this.src.typeById(id), inner, depth);
    if (out.length > MAX_NAME_LENGTH) {
      throw malformed(`btf ${this.src.name}: spelling of type ${id} exceeds ${MAX_NAME_LENGTH} characters`, {
        typeId: id,
      });
    }
    if (inner === '') this.memo.set(id, out);
    return out;
  }

  private declare(t: BtfType, inner: string, depth: number): string {
    switch (t.kind) {
      case BtfKind.UNKN:
        return join('void', inner);
      case BtfKind.INT:
      case BtfKind.FLOAT:
      case BtfKind.TYPEDEF:
        return join(t.name, inner);
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        return join(`${t.kind === BtfKind.STRUCT ? 'struct' : 'union'} ${t.name || '(anon)'}`, inner);
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return join(`enum ${t.name || '(anon)'}`, inner);
      case BtfKind.FWD:
        return join(`${t.union ? 'union' : 'struct'} ${t.name}`, inner);
      case BtfKind.PTR: {
        // A qualifier after the star needs a space ('* const'); a nested star does not ('**').
        let d = /^[A-Za-z_]/.test(inner) ? `* ${inner}` : `*${inner}`;
        const target = this.underlyingKind(t.type, depth);
        if (target === BtfKind.ARRAY || target === BtfKind.FUNC_PROTO) d = `(${d})`;
        return this.spell(t.type, d, depth + 1);
      }
      case BtfKind.CONST:
      case BtfKind.VOLATILE:
      case BtfKind.RESTRICT:
        return this.qualify(t.kind, t.type, inner, depth);
      case BtfKind.TYPE_TAG:
        // Tags (__user, __rcu) do not change the C type; leave them out like the compiler does.
        return this.spell(t.type, inner, depth + 1);
      case BtfKind.ARRAY:
        return this.spell(t.elemType, `${inner}[${t.nelems}]`, depth + 1);
      case BtfKind.FUNC_PROTO: {
        const params = t.params.map((p, i) =>
          p.type === 0 && i === t.params.length - 1 ? '...' : this.spell(p.type, '', depth + 1),
        );
        return this.spell(t.returnType, `${inner}(${params.length ? params.join(', ') : 'void'})`, depth + 1);
      }
      case BtfKind.FUNC:
        return this.spell(t.type, inner ? `${t.name} ${inner}` : t.name, depth + 1);
      case BtfKind.VAR:
        return this.spell(t.type, inner ? `${t.name} ${inner}` : t.name, depth + 1);
      case BtfKind.DATASEC:
        return join(`SEC("${t.name}")`, inner);
      case BtfKind.DECL_TAG:
        return join(`__attribute__((btf_decl_tag("${t.name}")))`, inner);
    }
  }

  private qualify(kind: BtfKind, target: number, inner: string, depth: number): string {
    const q = kind === BtfKind.CONST ? 'const' : kind === BtfKind.VOLATILE ? 'volatile' : 'restrict';
    // On a pointer the qualifier binds to the pointer itself, so it goes after the star.
    if (this.underlyingKind(target, depth) === BtfKind.PTR) return this.spell(target, join(q, inner), depth + 1);
    return `${q} ${this.spell(target, inner, depth + 1)}`;
  }

  private underlyingKind(id: number, depth: number): BtfKind {
    let t = this.src.typeById(id);
    for (let d = depth; d <= MAX_TYPE_CHAIN; d++) {
      if (t.kind !== BtfKind.CONST && t.kind !== BtfKind.VOLATILE && t.kind !== BtfKind.RESTRICT && t.kind !== BtfKind.TYPE_TAG) {
        break;
      }
      t = this.src.typeById(t.type);
    }
    return t.kind;
  }
}

function join(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}
