// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
export { BpfObject, openObject } from './object';
export { BpfProgram } from './program';
export type { TestRunArg, TestRunOptions, TestRunResult } from './test-run';
export { BpfMap } from './map';
export type { MapKey } from './map';
export { StructOpsMap } from './struct-ops-map';
export { BpfLink } from '../link';
export type { AttachOptions } from '../link';
export type { RegistrableMap } from '../struct-ops';
export { loadObjectSpec, objectNameOf } from './open';
export type { LoadObjectSpecOptions } from './open';
export { decodeValue } from '../btf';
export type { DecodedValue } from '../btf';
export type {
  ObjectSpec, ProgramSpec, MapSpec, StructOpsSpec, FunctionSpec, ExternSpec, InsnRelocation, ArenaGlobalsSpec,
} from './spec';
export type { UpdateOptions } from '../link';
export { openPinnedLink, openLinkById } from '../link';
export { ensureBpffsDir, isBpffs, pinObject, pinnedObject, unpin, BPFFS_MAGIC, BPFFS_ROOT } from '../pin';
export type { PinnedObject } from '../pin';
export { structOpsName } from '../struct-ops';
export { endLegacyRegistration } from '../struct-ops';
export type { LegacyEnd } from '../struct-ops';
export { KernelBtfs } from '../kernel';
// What `__ksym` externs resolve to in kernel BTF (load uses it; inspect reports it).
export { resolveKsyms } from './load/ksyms';
export type { ResolvedKsym } from './load/ksyms';
export type { KernelBtfsOptions, ModuleBtfSource } from '../kernel';
export type { LoadPlan, PlanLoadOptions, PlannedMapCreate, PlannedProgLoad } from './load/plan';
