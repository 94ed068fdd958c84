// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { BtfKind } from '../../btf';
import { funcProtosCompatible } from '../../core';
import { essentialName } from '../../core';
import type { ObjectSpec } from '../spec';
import type { KernelBtfs } from '../../kernel';

/** A `__ksym` extern resolved against kernel BTF. */
export interface ResolvedKsym {
  /** Kernel BTF id of the FUNC or VAR; 0 when a weak extern is missing. */
  btfId: number;
  /** Module that defines it; undefined for vmlinux. */
  module?: string;
}

/**
 * Resolves every kfunc and typed ksym extern by name in vmlinux, then module BTFs, checking
 * a kfunc's prototype against the object's declaration. A kfunc is looked up by its
 * essential name: everything from the last `___` on is a flavour the object uses to
 * declare several variants (`scx_bpf_dsq_insert___v2___compat` is looked up as
 * `scx_bpf_dsq_insert___v2`), as libbpf does; typed ksym variables are looked up as written
 * (libbpf too). A missing `__weak` extern, or a `__weak` kfunc whose prototype does not
 * match the kernel's, resolves to id 0 (its calls are poisoned, `bpf_ksym_exists()` is
 * false); any other miss is an error, and one error names them all.
 *
 * @throws {BpfError} ENOENT naming every missing non-weak kfunc/ksym, EINVAL for an
 *   incompatible prototype.
 */
export function resolveKsyms(spec: ObjectSpec, kernel: KernelBtfs): Map<string, ResolvedKsym> {
  const resolved = new Map<string, ResolvedKsym>();
  const missing: string[] = [];
  for (const ext of spec.externs) {
    if (ext.kind === 'kconfig') continue;
    const kind = ext.kind === 'kfunc' ? BtfKind.FUNC : BtfKind.VAR;
    const lookup = ext.kind === 'kfunc' ? essentialName(ext.name) : ext.name;
    const shown = lookup === ext.name ? ext.name : `${ext.name} (looked up as ${lookup})`;
    let found: ResolvedKsym | undefined;
    for (const { btf, module } of kernel.sources()) {
      // A module's split BTF also sees vmlinux, which was searched first: own types only.
      const t = btf.findByName(lookup, kind, { ownOnly: module !== undefined });
      if (t === undefined) continue;
      if (t.kind === BtfKind.FUNC) {
        const local = spec.btf.typeById(ext.btfId);
        if (local.kind === BtfKind.FUNC && !funcProtosCompatible(spec.btf, local.type, btf, t.type)) {
          // A weak variant declared for another kernel's signature is simply absent here.
          if (ext.weak) break;
          throw new BpfError(`kfunc ${shown}: the object's prototype does not match the kernel's`, {
            object: spec.path, typeId: ext.btfId,
            hint: `kernel declares ${btf.typeName(t.type)}; regenerate vmlinux.h for this kernel, or declare the extern __weak and check bpf_ksym_exists()`,
          });
        }
      }
      found = { btfId: t.id, module };
      break;
    }
    if (found === undefined) {
      // Collected, not thrown: one load attempt should name every extern the kernel lacks.
      if (!ext.weak) missing.push(`${ext.kind} ${shown}`);
      found = { btfId: 0 };
    }
    resolved.set(ext.name, found);
  }
  if (missing.length > 0) {
    const verb = missing.length === 1 ? 'is' : 'are';
    throw new BpfError(`${missing.join(', ')} ${verb} not defined by the running kernel (vmlinux or modules)`, {
      code: 'ENOENT', object: spec.path,
      hint: 'declare each such extern __weak and guard its use with bpf_ksym_exists(), or use a kernel that has it',
    });
  }
  return resolved;
}
