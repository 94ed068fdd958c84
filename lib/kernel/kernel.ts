// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * What the running kernel supports for loading and managing struct_ops, probed once per
 * process without side effects: no struct_ops is ever registered by a probe.
 *
 * - BTF kinds: tiny BPF_BTF_LOADs (./btf.ts).
 * - struct_ops links: the struct_ops-link probe (./struct-ops-link.ts).
 * - LINK_UPDATE / LINK_DETACH of a struct_ops link: the command is called on an fd number
 *   no process can have open. A kernel that knows the command looks the fd up and says
 *   EBADF; one that does not says EINVAL. Whether struct_ops links implement the operation
 *   is then read from kernel BTF (`struct bpf_link_ops` has `update_map` since struct_ops
 *   link updates exist; `bpf_struct_ops_map_link_detach` is the struct_ops detach).
 */
import { BtfKind, loadKernelBtf, type Btf, type BtfFeatures } from '../btf';
import { isBpfError } from '../errors';
import { linkDetach, linkUpdate } from '../sys';
import { probeBtfFeatures } from './btf';
import { cachedProbe } from './probe';
import { probeStructOpsLink } from './struct-ops-link';

/** Everything {@link probeKernelFeatures} reports. */
export interface KernelFeatures {
  /** BTF kinds and flags BPF_BTF_LOAD accepts. */
  btf: BtfFeatures;
  /** `.struct_ops.link` maps: BPF_F_LINK and BPF_LINK_CREATE for struct_ops (6.4). */
  structOpsLink: boolean;
  /** BPF_LINK_UPDATE of a struct_ops link to another map (6.4; `link.update()`). */
  structOpsLinkUpdate: boolean;
  /** BPF_LINK_DETACH of a struct_ops link (2024; `link.detach()`). */
  structOpsLinkDetach: boolean;
}

/** Above RLIMIT_NOFILE's hard ceiling: never an open descriptor. */
const NEVER_OPEN_FD = 0x7fff_ffff;

/** @internal What a command said about an fd that cannot be open: does the kernel know the command? */
export function commandKnown(call: () => void): boolean {
  try {
    call();
    return true;
  } catch (err) {
    if (!isBpfError(err)) throw err;
    if (err.code === 'EBADF') return true;
    if (err.code === 'EINVAL') return false;
    throw err;
  }
}

function kernelBtf(): Btf | undefined {
  try {
    return loadKernelBtf();
  } catch {
    return undefined;
  }
}

/** @internal Does kernel `struct bpf_link_ops` have member `name`? undefined: no kernel BTF. */
export function linkOpsHas(btf: Btf | undefined, name: string): boolean | undefined {
  const ops = btf?.findByName('bpf_link_ops', BtfKind.STRUCT);
  if (ops?.kind !== BtfKind.STRUCT) return undefined;
  return ops.members.some((m) => m.name === name);
}

const linkUpdateProbe = cachedProbe(() => {
  if (!probeStructOpsLink()) return false;
  if (!commandKnown(() => linkUpdate(NEVER_OPEN_FD, NEVER_OPEN_FD))) return false;
  return linkOpsHas(kernelBtf(), 'update_map') ?? false;
});

const linkDetachProbe = cachedProbe(() => {
  if (!probeStructOpsLink()) return false;
  if (!commandKnown(() => linkDetach(NEVER_OPEN_FD))) return false;
  return kernelBtf()?.findByName('bpf_struct_ops_map_link_detach', BtfKind.FUNC) !== undefined;
});

/**
 * Reports whether BPF_LINK_UPDATE can swap the map of a struct_ops link.
 * @throws {BpfError} when the kernel cannot be asked (no privilege, no kernel BTF)
 */
export function probeStructOpsLinkUpdate(): boolean {
  return linkUpdateProbe();
}

/**
 * Reports whether BPF_LINK_DETACH can unregister a struct_ops link while its fd stays open.
 * @throws {BpfError} when the kernel cannot be asked (no privilege, no kernel BTF)
 */
export function probeStructOpsLinkDetach(): boolean {
  return linkDetachProbe();
}

/**
 * Probes (once per process, each answer cached) what the running kernel supports for
 * struct_ops objects: BTF kinds, struct_ops links, and link update and detach.
 *
 * @throws {BpfError} when a probe cannot run (e.g. EPERM without CAP_BPF)
 * @example
 * const f = probeKernelFeatures();
 * if (!f.btf.enum64) console.log('object BTF will be sanitized for this pre-6.0 kernel');
 */
export function probeKernelFeatures(): KernelFeatures {
  return {
    btf: probeBtfFeatures(),
    structOpsLink: probeStructOpsLink(),
    structOpsLinkUpdate: probeStructOpsLinkUpdate(),
    structOpsLinkDetach: probeStructOpsLinkDetach(),
  };
}
