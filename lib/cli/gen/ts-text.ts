// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Small helpers for writing TypeScript source text: identifiers, property keys, string
 * literal unions and doc comments.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `cubic_legacy` -> `CubicLegacy`, `tcp-bbr.2` -> `TcpBbr2`; never starts with a digit. */
export function pascalCase(name: string): string {
  const out = name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
  if (out === '') return 'Anon';
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** A property key: bare when it is an identifier, quoted otherwise (`'.bss'`). */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : quote(name);
}

/** A single-quoted TS string literal. */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** `'a' | 'b'`, or `never` for no names. */
export function literalUnion(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.map(quote).join(' | ');
}

/** A one-line `/** ... *\/` comment at `indent` (comment terminators in `text` are defused). */
export function doc(text: string, indent = ''): string {
  return `${indent}/** ${text.replace(/\*\//g, '*\\/')} */`;
}
