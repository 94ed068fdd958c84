// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * lib/kernel: the running kernel. What it can do, probed once per process (so the loader
 * can turn "the kernel said EINVAL" into an error naming the missing feature and the first
 * kernel that has it), and its BTF: KernelBtfs finds and opens vmlinux and module BTFs once
 * per load (their parsing and index cache stay in lib/btf).
 */
export {
  STRUCT_OPS_LINK_HINT,
  STRUCT_OPS_LINK_MIN_KERNEL,
  btfHasStructOpsAttachType,
  decideStructOpsLink,
  probeStructOpsLink,
  requireStructOpsLink,
  structOpsLinkUnsupported,
} from './struct-ops-link';
export type { MapCreateOutcome, StructOpsLinkProbeSteps } from './struct-ops-link';
export { cachedProbe } from './probe';
export type { FeatureProbe } from './probe';
export { BTF_PROBE_BLOBS, loaderBtfFeatures, probeBtfFeatures, resetBtfFeatureProbes } from './btf';
export { probeKernelFeatures, probeStructOpsLinkDetach, probeStructOpsLinkUpdate } from './kernel';
export type { KernelFeatures } from './kernel';
export { decideAssocStructOps, probeAssocStructOps } from './assoc-struct-ops';
export { ARENA_HINT, ARENA_MIN_KERNEL, ARENA_REFUSED_HINT, arenaRefused, arenaUnsupported, decideArena, probeArena, requireArena } from './arena';
export { KernelBtfs } from './kernel-btfs';
export type { KernelBtfsOptions, ModuleBtfSource } from './kernel-btfs';
