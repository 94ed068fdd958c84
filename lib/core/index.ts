// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * CO-RE ("compile once, run everywhere") relocation engine: patches BPF instructions
 * compiled against local type definitions so that they access the running kernel's
 * layout, following Documentation/bpf/llvm_reloc.rst and libbpf's behaviour. Pure: works on
 * buffers and parsed BTF, never on the kernel directly.
 */
export { applyCoreRelocations } from './apply';
export { funcProtosCompatible } from './kfunc-compat';
export { essentialName } from './names';
export { CORE_POISON_IMM } from './relocation';
export type { CoreContext, CoreRelocation, CoreResult, PoisonedRelocation } from './relocation';
