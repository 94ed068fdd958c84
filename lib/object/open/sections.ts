// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BPF_F_SLEEPABLE, BpfAttachType, BpfProgType } from '../../sys';

/** How a program section name maps to a program type (libbpf's SEC() conventions). */
export interface SectionDef {
  progType: number;
  progFlags: number;
  structOps: boolean;
  /** expected_attach_type at PROG_LOAD (tracing programs). */
  expectedAttachType?: number;
  /**
   * What the part after '/' names, resolved in kernel BTF at load: a kernel function
   * (fentry/fexit/fmod_ret) or a raw tracepoint whose `btf_trace_<name>` typedef is the
   * attach target (tp_btf). Undefined: the suffix is only a label or an attach-time name.
   */
  btfTarget?: 'func' | 'trace';
}

const tracing = (eat: number, sleepable: boolean, btfTarget: 'func' | 'trace'): SectionDef => ({
  progType: BpfProgType.TRACING, progFlags: sleepable ? BPF_F_SLEEPABLE : 0, structOps: false,
  expectedAttachType: eat, btfTarget,
});

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
  // The other programs struct_ops objects carry (sched_ext, HID): attached by program.attach().
  { prefix: 'fentry.s', def: tracing(BpfAttachType.TRACE_FENTRY, true, 'func') },
  { prefix: 'fentry', def: tracing(BpfAttachType.TRACE_FENTRY, false, 'func') },
  { prefix: 'fexit.s', def: tracing(BpfAttachType.TRACE_FEXIT, true, 'func') },
  { prefix: 'fexit', def: tracing(BpfAttachType.TRACE_FEXIT, false, 'func') },
  { prefix: 'fmod_ret.s', def: tracing(BpfAttachType.MODIFY_RETURN, true, 'func') },
  { prefix: 'fmod_ret', def: tracing(BpfAttachType.MODIFY_RETURN, false, 'func') },
  { prefix: 'tp_btf', def: tracing(BpfAttachType.TRACE_RAW_TP, false, 'trace') },
  { prefix: 'raw_tracepoint', def: { progType: BpfProgType.RAW_TRACEPOINT, progFlags: 0, structOps: false } },
  { prefix: 'raw_tp', def: { progType: BpfProgType.RAW_TRACEPOINT, progFlags: 0, structOps: false } },
  { prefix: 'tracepoint', def: { progType: BpfProgType.TRACEPOINT, progFlags: 0, structOps: false } },
  { prefix: 'tp', def: { progType: BpfProgType.TRACEPOINT, progFlags: 0, structOps: false } },
];

/** The part of a section name after its type prefix and '/' (`fentry/tcp_rcv` -> `tcp_rcv`), or ''. */
export function sectionTarget(sectionName: string): string {
  const name = sectionName.startsWith('?') ? sectionName.slice(1) : sectionName;
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(slash + 1);
}

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
