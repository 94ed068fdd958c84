/**
 * After load: associate the object's non-struct_ops programs with its struct_ops map
 * (BPF_PROG_ASSOC_STRUCT_OPS), as sched_ext's loader does with libbpf 1.7's
 * bpf_program__assoc_struct_ops, so kfuncs called from e.g. a timer or syscall program
 * know which scheduler they belong to. Only where the kernel has the command (6.19+);
 * with several struct_ops maps the choice is the caller's (program.associateStructOps()).
 */
import { probeAssocStructOps } from '../../kernel';
import { BpfProgType } from '../../sys';
import type { LoadTarget } from './target';

export function associateStructOps(t: LoadTarget, object: string): void {
  const maps = [...t.structOps.values()].filter((m) => m.loaded);
  const programs = [...t.programs.values()].filter((p) => p.loaded && p.spec.progType !== BpfProgType.STRUCT_OPS);
  if (maps.length === 0 || programs.length === 0) return;
  let supported = false;
  try {
    supported = probeAssocStructOps();
  } catch {
    supported = false;
  }
  if (!supported) return;
  if (maps.length > 1) {
    t.warnings.push(`object ${object}: ${maps.length} struct_ops maps; programs not associated with one (call program.associateStructOps(map))`);
    return;
  }
  for (const p of programs) p.associateStructOps(maps[0]);
}
