// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Which struct_ops maps of an object a command (register, update, run) works on: its --map names. */
import { BpfError, type BpfObject, type StructOpsMap } from '../index';

/**
 * The maps named by --map, each switched to be created at load (naming an optional
 * SEC("?.struct_ops...") map is what asks for it, as libbpf's bpf_map__set_autocreate does);
 * with no names, every map created by default.
 * @throws {BpfError} ENOENT when the object has no struct_ops, lacks a named map, or (no
 *   names) has only optional maps: a command that went on would do nothing and say it did.
 */
export function selectMaps(obj: BpfObject, file: string, names: readonly string[]): StructOpsMap[] {
  const all = [...obj.structOps.values()];
  if (all.length === 0) {
    throw new BpfError(`no struct_ops found in ${file}`, {
      code: 'ENOENT', object: file, hint: 'a struct_ops object defines variables in SEC(".struct_ops") or SEC(".struct_ops.link")',
    });
  }
  const available = `available maps: ${all.map(describeMap).join(', ')}`;
  const unknown = names.filter((n) => !obj.structOps.has(n));
  if (unknown.length > 0) {
    throw new BpfError(`no struct_ops map named ${unknown.join(', ')} in ${file}`, { code: 'ENOENT', object: file, hint: available });
  }
  if (names.length > 0) {
    const named = [...new Set(names)].map((n) => obj.structOps.get(n)!);
    for (const m of named) m.autocreate = true;
    return named;
  }
  const auto = all.filter((m) => m.autocreate);
  if (auto.length === 0) {
    throw new BpfError(`every struct_ops map of ${file} is optional (SEC("?.struct_ops...")); name the ones to use with --map`, {
      code: 'ENOENT', object: file, hint: available,
    });
  }
  return auto;
}

/** `cubic_link (.struct_ops.link)`. */
export function describeMap(map: StructOpsMap): string {
  return `${map.name} (${map.structOps.section})`;
}
