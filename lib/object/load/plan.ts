// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Load plans: everything load() would send to the kernel, computed without creating a
 * kernel object. The plan runs the loader's own steps (prepare.ts, attrs.ts) with
 * placeholder fds for the object BTF and the maps, and encodes each attr with the sys
 * layer's encoders, so its bytes are the bytes load() passes to bpf().
 */
import { ALL_BTF_FEATURES, type BtfFeatures } from '../../btf';
import { BpfError } from '../../errors';
import { encodeMapCreateAttr, encodeProgLoadAttr, type MapCreateAttr, type ProgLoadAttr } from '../../sys';
import type { MapKind } from '../spec';
import { mapCreateRequests, progLoadRequests, type LoadFds } from './attrs';
import type { KernelBtfs } from '../../kernel';
import { prepareLoad, type PrepareTarget } from './prepare';

/** Options of a load plan. */
export interface PlanLoadOptions {
  /**
   * The BTF features to encode the object BTF for. @defaultValue every feature (no probe
   * runs); pass `probeBtfFeatures()` to plan for the running kernel
   */
  btfFeatures?: Partial<BtfFeatures>;
  /** Placeholder fd of the object BTF; maps get the numbers after it, in creation order. @defaultValue 100 */
  firstFd?: number;
}

/** A BPF_MAP_CREATE of the plan. */
export interface PlannedMapCreate {
  /** Object map name (`.bss`, `cu_sk_state`, a struct_ops variable name). */
  name: string;
  kind: MapKind;
  /** The placeholder fd the plan gives the map (what program fix-ups use). */
  fd: number;
  attr: MapCreateAttr;
  /** The union bpf_attr bytes BPF_MAP_CREATE receives (MAP_CREATE has no pointer fields). */
  bytes: Buffer;
}

/** A BPF_PROG_LOAD of the plan (its first attempt: no verifier log). */
export interface PlannedProgLoad {
  /** Program name in the object. */
  name: string;
  attr: ProgLoadAttr;
  /** The union bpf_attr bytes; pointer fields are zero here (the addon fills them in). */
  bytes: Buffer;
  /**
   * What the pointer fields point at, in the addon's buffer order: 0 insns, 1 license,
   * 2 log_buf (null), 3 func_info, 4 line_info, 5 fd_array (see encodeProgLoadAttr).
   */
  buffers: readonly (Buffer | null)[];
}

/** Everything load() would send, in order: BTF_LOAD, MAP_CREATEs, PROG_LOADs. */
export interface LoadPlan {
  /** The object BTF for BPF_BTF_LOAD: fix-ups applied, sanitized for `btfFeatures`. */
  btf: Buffer;
  btfFeatures: BtfFeatures;
  /** Placeholder fd of the object BTF in the attrs below. */
  btfFd: number;
  /** Module BTF fds the attrs use, by module (from KernelBtfs.moduleFd). */
  moduleFds: Map<string, number>;
  maps: PlannedMapCreate[];
  programs: PlannedProgLoad[];
  /** Non-fatal findings, as load() would add them to the object's warnings. */
  warnings: string[];
}

/**
 * Computes the load plan of an object against the kernel BTF in `kernel`. Makes no
 * syscall of its own; `kernel.moduleFd()` may look a real module's BTF fd up (an injected
 * module gives its own).
 *
 * @throws {BpfError} for whatever load() would reject before its first syscall (missing
 *   kernel type or extern, member mismatch, malformed object)
 */
export function planLoad(t: Omit<PrepareTarget, 'warnings'>, kernel: KernelBtfs, options: PlanLoadOptions = {}): LoadPlan {
  const warnings: string[] = [];
  const features = { ...ALL_BTF_FEATURES, ...options.btfFeatures };
  const target = { ...t, warnings };
  const prepared = prepareLoad(target, kernel, features);
  const btfFd = options.firstFd ?? 100;
  const mapFds = new Map<string, number>();
  const moduleFds = new Map<string, number>();
  const fds: LoadFds = {
    btf: btfFd,
    map: (name) => {
      const fd = mapFds.get(name);
      if (fd === undefined) throw new BpfError(`unknown map ${name}`, { object: prepared.object });
      return fd;
    },
    module: (name) => {
      const fd = kernel.moduleFd(name);
      moduleFds.set(name, fd);
      return fd;
    },
  };
  const maps = mapCreateRequests(target, prepared, fds).map(({ name, map, attr }, i): PlannedMapCreate => {
    const fd = btfFd + 1 + i;
    mapFds.set(name, fd);
    return { name, kind: map.spec.kind, fd, attr, bytes: encodeMapCreateAttr(attr) };
  });
  const programs = progLoadRequests(target, prepared, fds).map(({ program, attr }): PlannedProgLoad => {
    const enc = encodeProgLoadAttr(attr);
    return { name: program.spec.name, attr, bytes: enc.attr, buffers: enc.buffers };
  });
  return { btf: prepared.btf, btfFeatures: features, btfFd, moduleFds, maps, programs, warnings };
}
