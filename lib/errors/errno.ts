import { constants } from 'node:os';

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!names.has(value)) names.set(value, name);
}
// Kernel-internal errno values that leak to user space through bpf(); libc has no name.
names.set(524, 'ENOTSUPP');
names.set(95, 'EOPNOTSUPP');

/** errno number -> name (`1` -> `'EPERM'`, `524` -> `'ENOTSUPP'`). */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `ERRNO_${errno}`;
}

/** errno name -> number. */
export function errnoValue(name: string): number | undefined {
  if (name === 'ENOTSUPP') return 524;
  return (constants.errno as Record<string, number>)[name];
}
