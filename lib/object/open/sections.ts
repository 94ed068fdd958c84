// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BPF_F_SLEEPABLE, BpfProgType } from '../../sys';

/** How a program section name maps to a program type (libbpf's SEC() conventions). */
export interface SectionDef {
  progType: number;
  progFlags: number;
  structOps: boolean;
}

/**
 * Program sections this loader understands. struct_ops is the product; a few attach-less
 * types are accepted so helper programs in the same object still load.
 */
const DEFINITIONS: { prefix: string; def: SectionDef }[] = [
  { prefix: 'struct_ops.s', def: { progType: BpfProgType.STRUCT_OPS, progFlags: BPF_F_SLEEPABLE, structOps: true } },
  { prefix: 'struct_ops', def: { progType: BpfProgType.STRUCT_OPS, progFlags: 0, structOps: true } },
  { prefix: 'socket', def: { progType: BpfProgType.SOCKET_FILTER, progFlags: 0, structOps: false } },
  { prefix: 'tc', def: { progType: BpfProgType.SCHED_CLS, progFlags: 0, structOps: false } },
  { prefix: 'classifier', def: { progType: BpfProgType.SCHED_CLS, progFlags: 0, structOps: false } },
  { prefix: 'xdp', def: { progType: BpfProgType.XDP, progFlags: 0, structOps: false } },
  { prefix: 'syscall', def: { progType: BpfProgType.SYSCALL, progFlags: BPF_F_SLEEPABLE, structOps: false } },
];

/**
 * Finds the program type for a section name: an exact match or `prefix/anything`
 * (the part after '/' is cosmetic for struct_ops; binding comes from `.struct_ops` relocations).
 * A leading '?' (not auto-loaded) is accepted.
 */
export function sectionDef(sectionName: string): SectionDef | undefined {
  const name = sectionName.startsWith('?') ? sectionName.slice(1) : sectionName;
  for (const { prefix, def } of DEFINITIONS) {
    if (name === prefix || name.startsWith(`${prefix}/`)) return def;
  }
  return undefined;
}

/** Global-data sections that become ARRAY maps. */
export function isDataSection(name: string): boolean {
  return (
    name === '.data' || name === '.rodata' || name === '.bss' ||
    name.startsWith('.data.') || name.startsWith('.rodata.')
  );
}

/** Read-only data sections: frozen after populating and BPF_F_RDONLY_PROG. */
export function isReadOnlyDataSection(name: string): boolean {
  return name === '.rodata' || name.startsWith('.rodata.');
}

/** `.struct_ops`, `.struct_ops.link` and their `?`-prefixed (not auto-created) forms. */
export function structOpsSection(name: string): { link: boolean; autocreate: boolean } | undefined {
  const autocreate = !name.startsWith('?');
  const bare = autocreate ? name : name.slice(1);
  if (bare === '.struct_ops') return { link: false, autocreate };
  if (bare === '.struct_ops.link') return { link: true, autocreate };
  return undefined;
}
