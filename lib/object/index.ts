// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
export { BpfObject, openObject } from './object';
export { BpfProgram } from './program';
export type { TestRunArg, TestRunOptions, TestRunResult } from './test-run';
export { BpfMap } from './map';
export type { MapKey } from './map';
export { StructOpsMap } from './struct-ops-map';
export { BpfLink } from './link';
export type { AttachOptions } from './link';
export type { RegistrableMap } from './registrable-map';
export { loadObjectSpec, objectNameOf } from './open';
export type { LoadObjectSpecOptions } from './open';
export { decodeValue } from '../btf';
export type { DecodedValue } from '../btf';
export type {
  ObjectSpec, ProgramSpec, MapSpec, StructOpsSpec, FunctionSpec, ExternSpec, InsnRelocation, ArenaGlobalsSpec,
} from './spec';
export type { UpdateOptions } from './link';
export { openPinnedLink, openLinkById } from './pinned-link';
export { ensureBpffsDir, isBpffs, pinObject, pinnedObject, unpin, BPFFS_MAGIC, BPFFS_ROOT } from '../pin';
export type { PinnedObject } from '../pin';
export { structOpsName } from './link-hints';
export { endLegacyRegistration } from './legacy-registration';
export type { LegacyEnd } from './legacy-registration';
export { KernelBtfs } from './load/kernel-btfs';
// What `__ksym` externs resolve to in kernel BTF (load uses it; inspect reports it).
export { resolveKsyms } from './load/ksyms';
export type { ResolvedKsym } from './load/ksyms';
export type { KernelBtfsOptions, ModuleBtfSource } from './load/kernel-btfs';
export type { LoadPlan, PlanLoadOptions, PlannedMapCreate, PlannedProgLoad } from './load/plan';
