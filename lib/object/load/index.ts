// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { btfFeaturesUsedBy, type BtfFeatures } from '../../btf';
import { loaderBtfFeatures, requireArena } from '../../kernel';
import { buildStructOpsValue } from '../../struct-ops';
import { BpfMapType, btfLoad, btfLoadAsync, type Fd, progBindMap } from '../../sys';
import { mapCreateRequests, progLoadRequests, type LoadFds } from './attrs';
import type { KernelBtfs } from '../../kernel';
import { createMaps } from './maps';
import { prepareLoad } from './prepare';
import { loadPrograms } from './programs';
import { associateStructOps } from './assoc';

export type { LoadTarget } from './target';
import type { LoadTarget } from './target';

/** Options of {@link loadObject}. */
export interface LoadObjectOptions {
  /**
   * The BTF kinds to encode the object BTF for. @defaultValue the running kernel's answer for
   * the kinds the object BTF uses, each probed once per process (everything, when the probe
   * cannot run)
   */
  btfFeatures?: BtfFeatures;
}

/**
 * The load phase (ARCHITECTURE.md): resolve externs and struct_ops types against kernel BTF,
 * relocate and link programs, load the object BTF, create and populate maps, load programs
 * concurrently, then build each struct_ops map's kernel value with the program fds.
 * Every MAP_CREATE/PROG_LOAD attr comes from attrs.ts, which load plans (plan.ts) share.
 */
export async function loadObject(t: LoadTarget, kernel: KernelBtfs, options: LoadObjectOptions = {}): Promise<void> {
  // First of all: an arena object on a kernel before 6.9 also lacks the arena kfuncs, and
  // their ENOENT would hide the cause; EOPNOTSUPP with the arena hint says it.
  for (const [name, map] of t.maps) {
    if (map.autocreate && map.spec.type === BpfMapType.ARENA) requireArena(name, t.spec.path ?? t.spec.name);
  }
  const prepared = prepareLoad(t, kernel, options.btfFeatures ?? loaderBtfFeatures(featuresUsed(t.spec)));
  const { object } = prepared;
  for (const [name, at] of prepared.attach) {
    t.programs.get(name)!.setAttach(at.attachBtfId, at.expectedAttachType);
  }

  const btfFd = await loadObjectBtf(prepared.btf).catch((err: unknown) => {
    if (err instanceof BpfError) {
      (err as { object?: string; hint?: string }).object = object;
      (err as { hint?: string }).hint ??= 'the kernel rejected the object BTF; see err.verifierLog';
    }
    throw err;
  });
  t.own(btfFd);
  const fds: LoadFds = {
    btf: btfFd,
    map: (name) => {
      const map = t.maps.get(name) ?? t.structOps.get(name);
      if (!map) throw new BpfError(`unknown map ${name}`, { object });
      return map.fd.raw;
    },
    module: (name) => kernel.moduleFd(name),
  };
  createMaps(t, mapCreateRequests(t, prepared, fds), prepared.plans, object);

  const requests = progLoadRequests(t, prepared, fds);
  const bound = boundMembers(prepared);
  const loaded = await loadPrograms(requests.map((r, i) => ({
    name: r.program.spec.name, attr: r.attr, poisoned: prepared.poisoned[i], ...bound.get(r.program.spec.name),
  })), object);
  loaded.forEach((fd, i) => t.programs.get(requests[i].program.spec.name)!.setLoaded(fd));

  const rodata = t.maps.get('.rodata');
  if (rodata?.loaded) for (const fd of loaded) progBindMap(fd, rodata.fd);

  for (const [name, plan] of prepared.plans) {
    const value = buildStructOpsValue(plan, (program) => t.programs.get(program)!.fd.raw);
    t.structOps.get(name)!.setPlan(plan, value);
  }
  associateStructOps(t, object);
}

/**
 * The kernel checks BTF in one linear pass, about 0.15 ms for reno's 17 KB: up to this size
 * (under 1 ms) the object BTF is loaded on this thread, like quick programs (programs.ts),
 * bigger ones on the libuv pool.
 */
export const QUICK_BTF_BYTES = 64 * 1024;

/** Whether an object BTF is loaded on this thread (QUICK_BTF_BYTES). */
export function quickBtf(btf: Buffer): boolean {
  return btf.length <= QUICK_BTF_BYTES;
}

async function loadObjectBtf(btf: Buffer): Promise<Fd> {
  return quickBtf(btf) ? btfLoad(btf) : btfLoadAsync(btf);
}

/** btfFeaturesUsedBy, once per spec: a frozen spec's BTF never changes, and the walk is per load otherwise. */
function featuresUsed(spec: LoadTarget['spec']): (keyof BtfFeatures)[] {
  if (!Object.isFrozen(spec)) return btfFeaturesUsedBy(spec.btf);
  let used = usedBySpec.get(spec);
  if (used === undefined) usedBySpec.set(spec, (used = btfFeaturesUsedBy(spec.btf)));
  return used;
}
const usedBySpec = new WeakMap<object, (keyof BtfFeatures)[]>();

/**
 * The struct_ops member and kernel struct each struct_ops program implements (one kernel
 * slot per program, checked by prepareLoad), so a refused PROG_LOAD can name them.
 */
function boundMembers(prepared: ReturnType<typeof prepareLoad>): Map<string, { member: string; kernelType: string }> {
  const out = new Map<string, { member: string; kernelType: string }>();
  for (const plan of prepared.plans.values()) {
    const kernelType = plan.kernel.name;
    for (const slot of plan.slots) out.set(slot.program, { member: slot.member, kernelType });
  }
  return out;
}
