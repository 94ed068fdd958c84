/** What the load phase fills in: its own file so load steps need not import load/index.ts. */
import type { Fd } from '../../sys';
import type { BpfMap } from '../map';
import type { BpfProgram } from '../program';
import type { ObjectSpec } from '../spec';
import type { StructOpsMap } from '../struct-ops-map';

/** The object's parts that load() fills in; owned (and closed on failure) by BpfObject. */
export interface LoadTarget {
  spec: ObjectSpec;
  programs: Map<string, BpfProgram>;
  maps: Map<string, BpfMap>;
  structOps: Map<string, StructOpsMap>;
  warnings: string[];
  /** Takes ownership of fds that belong to no map or program (the object BTF). */
  own(fd: Fd): void;
}
