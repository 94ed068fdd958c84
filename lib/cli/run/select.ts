/** Which struct_ops maps `run` registers: the `--map` names, or every auto-created one. */
import { BpfError, type BpfObject, type StructOpsMap } from '../../index';

/** @throws {BpfError} ENOENT when the object has no struct_ops or a name is unknown */
export function selectRunMaps(obj: BpfObject, file: string, names: string[]): StructOpsMap[] {
  const all = [...obj.structOps.values()];
  const list = all.map((m) => `${m.name} (${m.structOps.section})`).join(', ');
  if (all.length === 0) {
    throw new BpfError(`no struct_ops found in ${file}`, {
      code: 'ENOENT', object: file, hint: 'a struct_ops object defines variables in SEC(".struct_ops") or SEC(".struct_ops.link")',
    });
  }
  const unknown = names.filter((n) => !obj.structOps.has(n));
  if (unknown.length > 0) {
    throw new BpfError(`no struct_ops map named ${unknown.join(', ')} in ${file}`, { code: 'ENOENT', object: file, hint: `maps: ${list}` });
  }
  if (names.length > 0) return [...new Set(names)].map((n) => obj.structOps.get(n)!);
  const auto = all.filter((m) => m.structOps.autocreate);
  if (auto.length === 0) {
    throw new BpfError(`every struct_ops map of ${file} is optional (SEC("?.struct_ops...")); name the ones to run`, {
      code: 'ENOENT', object: file, hint: `--map NAME, one of: ${list}`,
    });
  }
  return auto;
}
