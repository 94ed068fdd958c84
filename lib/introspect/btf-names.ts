// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Finds names in a BTF's own string section by prefix. Listing struct_ops types needs every
 * `bpf_struct_ops_*` struct; decoding all ~125k kernel types to find them costs ~0.3 s,
 * while searching the string bytes natively and then looking each name up costs a few ms.
 */
import { type Btf, parseHeader } from '../btf';

/** Every string in `btf`'s own string section (not its base's) that starts with `prefix`, once each. */
export function ownNamesStartingWith(btf: Btf, prefix: string): string[] {
  const raw = btf.raw;
  const { strStart, strLen } = parseHeader(raw, btf.name);
  const end = strStart + strLen;
  const needle = Buffer.from(prefix, 'utf8');
  const names = new Set<string>();
  for (let at = raw.indexOf(needle, strStart); at >= 0 && at < end; at = raw.indexOf(needle, at + 1)) {
    // Only whole strings: the match must follow a NUL (or open the section).
    if (at !== strStart && raw[at - 1] !== 0) continue;
    const nul = raw.indexOf(0, at);
    names.add(raw.toString('utf8', at, nul < 0 || nul > end ? end : nul));
  }
  return [...names];
}
