// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Types for shadow values and for the declarations `struct-ops gen types` writes. They
 * describe the real runtime objects (Maps, StructOpsMap, the shadow Proxy); nothing here
 * exists at run time.
 */

/**
 * What a member of a shadow value holds: number (integers, enums, chars, floats; bigint
 * beyond 32 bits), boolean, string (char arrays), a program or null (function pointers),
 * or a Buffer copy (read-only members).
 */
export type ShadowField<P = unknown> = number | bigint | boolean | string | Buffer | P | null;

/** An untyped shadow value: member name -> value. Generated types narrow it per map. */
export type StructOpsValue<P = unknown> = { [member: string]: ShadowField<P> };

/**
 * A Map whose `get` knows which keys exist and the exact value type of each, so a typo in
 * a key does not compile and no `!` is needed. `V` is the plain Map's value type, which
 * keeps it assignable to the untyped `Map<string, V>` of BpfObject.
 *
 * @example
 * declare const programs: TypedMap<{ a: BpfProgram & { readonly name: 'a' } }, BpfProgram>;
 * programs.get('a').name; // 'a'
 */
export interface TypedMap<T extends { [K in keyof T]: V }, V> extends Map<string, V> {
  get<K extends keyof T & string>(key: K): T[K];
}
