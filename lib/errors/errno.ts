// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// node:os is loaded on the first lookup, not when the library is required (docs/startup.md).
const errnoTable = (): Record<string, number> => (require('node:os') as typeof import('node:os')).constants.errno;

let names: Map<number, string> | undefined;

function nameTable(): Map<number, string> {
  if (names !== undefined) return names;
  names = new Map<number, string>();
  for (const [name, value] of Object.entries(errnoTable())) {
    if (!names.has(value)) names.set(value, name);
  }
  // Kernel-internal errno values that leak to user space through bpf(); libc has no name.
  names.set(524, 'ENOTSUPP');
  names.set(95, 'EOPNOTSUPP');
  return names;
}

/** errno number -> name (`1` -> `'EPERM'`, `524` -> `'ENOTSUPP'`). */
export function errnoName(errno: number): string {
  return nameTable().get(errno) ?? `ERRNO_${errno}`;
}

/** errno name -> number. */
export function errnoValue(name: string): number | undefined {
  if (name === 'ENOTSUPP') return 524;
  return errnoTable()[name];
}
