// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { Btf, BtfKind } from '../btf';
import { VALUE_TYPE_PREFIX } from './names';

/** A kernel BTF to search: vmlinux, or a module's split BTF. */
export interface KernelBtfSource {
  btf: Btf;
  /** Module name; undefined for vmlinux. */
  module?: string;
}

/** Where the kernel defines a struct_ops type and the value struct that wraps it. */
export interface KernelStructOps {
  name: string;
  btf: Btf;
  module?: string;
  /** Id of `struct T` (programs' attach_btf_id). */
  typeId: number;
  /** Id of `struct bpf_struct_ops_T` (the map's btf_vmlinux_value_type_id). */
  valueTypeId: number;
  /** sizeof(struct bpf_struct_ops_T): the map's value size. */
  valueSize: number;
  /** Byte offset of the `data` member (of type T) inside the value struct. */
  dataOffset: number;
}

/**
 * Finds `struct bpf_struct_ops_<name>` and `struct <name>` in the first source that has the
 * value type (vmlinux first, then modules, as libbpf does), and the offset of T inside it.
 * A module's split BTF is searched for its own types only (as libbpf does): both structs
 * must be the module's, while their members may use vmlinux types. Type ids of a module's
 * types are split ids (at or above vmlinux's type count).
 * Returns undefined when no kernel BTF defines the type.
 */
export function findKernelStructOps(name: string, sources: Iterable<KernelBtfSource>): KernelStructOps | undefined {
  for (const { btf, module } of sources) {
    const own = { ownOnly: module !== undefined };
    const value = btf.findByName(VALUE_TYPE_PREFIX + name, BtfKind.STRUCT, own);
    if (value?.kind !== BtfKind.STRUCT) continue;
    const type = btf.findByName(name, BtfKind.STRUCT, own);
    if (type === undefined) continue;
    const data = value.members.find((m) => btf.skipModifiers(m.type) === type.id);
    if (data === undefined) continue;
    return {
      name, btf, module, typeId: type.id, valueTypeId: value.id, valueSize: value.size, dataOffset: data.bitOffset / 8,
    };
  }
  return undefined;
}
