// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { BtfKind } from '../../btf';
import { funcProtosCompatible } from '../../core';
import type { ObjectSpec } from '../spec';
import type { KernelBtfs } from './kernel-btfs';

/** A `__ksym` extern resolved against kernel BTF. */
export interface ResolvedKsym {
  /** Kernel BTF id of the FUNC or VAR; 0 when a weak extern is missing. */
  btfId: number;
  /** Module that defines it; undefined for vmlinux. */
  module?: string;
}

/**
 * Resolves every kfunc and typed ksym extern by name in vmlinux, then module BTFs, checking
 * a kfunc's prototype against the object's declaration. A missing `__weak` extern resolves
 * to id 0 (its calls are poisoned, `bpf_ksym_exists()` is false); any other miss is an error.
 *
 * @throws {BpfError} ENOENT for a missing kfunc/ksym, EINVAL for an incompatible prototype.
 */
export function resolveKsyms(spec: ObjectSpec, kernel: KernelBtfs): Map<string, ResolvedKsym> {
  const resolved = new Map<string, ResolvedKsym>();
  for (const ext of spec.externs) {
    if (ext.kind === 'kconfig') continue;
    const kind = ext.kind === 'kfunc' ? BtfKind.FUNC : BtfKind.VAR;
    let found: ResolvedKsym | undefined;
    for (const { btf, module } of kernel.sources()) {
      // A module's split BTF also sees vmlinux, which was searched first: own types only.
      const t = btf.findByName(ext.name, kind, { ownOnly: module !== undefined });
      if (t === undefined) continue;
      if (t.kind === BtfKind.FUNC) {
        const local = spec.btf.typeById(ext.btfId);
        if (local.kind === BtfKind.FUNC && !funcProtosCompatible(spec.btf, local.type, btf, t.type)) {
          throw new BpfError(`kfunc ${ext.name}: the object's prototype does not match the kernel's`, {
            object: spec.path, typeId: ext.btfId,
            hint: `kernel declares ${btf.typeName(t.type)}; regenerate vmlinux.h for this kernel`,
          });
        }
      }
      found = { btfId: t.id, module };
      break;
    }
    if (found === undefined) {
      if (!ext.weak) {
        throw new BpfError(`${ext.kind} ${ext.name} is not defined by the running kernel (vmlinux or modules)`, {
          code: 'ENOENT', object: spec.path,
          hint: 'declare the extern __weak and guard its use with bpf_ksym_exists(), or use a kernel that has it',
        });
      }
      found = { btfId: 0 };
    }
    resolved.set(ext.name, found);
  }
  return resolved;
}
