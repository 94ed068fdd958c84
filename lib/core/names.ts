// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The "flavor" naming convention of CO-RE: a program may declare several versions of one
 * kernel type as `task_struct___old`, `task_struct___new`; everything from the last `___`
 * on is ignored when matching against kernel types (libbpf bpf_core_essential_name_len).
 */

/**
 * Returns a type, member or enumerator name without its `___flavor` suffix.
 *
 * Only an `X___Y` separator counts, where X and Y are not underscores, so names made of
 * underscores such as `____fput` are kept whole; with several separators the last one wins.
 *
 * @param name - a BTF name
 * @returns the essential name (the name itself when it has no flavor)
 * @example
 * essentialName('tcp_sock___x'); // 'tcp_sock'
 * essentialName('____fput');     // '____fput'
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (
      name[i] !== '_' &&
      name[i + 1] === '_' &&
      name[i + 2] === '_' &&
      name[i + 3] === '_' &&
      name[i + 4] !== '_'
    ) {
      return name.slice(0, i + 1);
    }
  }
  return name;
}
