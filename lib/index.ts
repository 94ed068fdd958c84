// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * struct-ops: load BPF struct_ops objects (TCP congestion controllers and more) and register
 * them with the running Linux kernel.
 *
 * @example
 * import { demoObjectPath, openObject } from 'struct-ops';
 * const obj = await openObject(demoObjectPath());
 * await obj.load();
 * const link = await obj.structOps.get('so_demo')!.attach();
 * // ... setCongestionControl(socket, 'so_demo') ...
 * link.close();
 * obj.close();
 */
export { openObject, BpfObject, BpfProgram, BpfMap, StructOpsMap, BpfLink, decodeValue } from './object';
export type { AttachOptions, MapKey, DecodedValue, ObjectSpec, ProgramSpec, MapSpec, ArenaGlobalsSpec, StructOpsSpec, TestRunArg, TestRunOptions, TestRunResult } from './object';
export { loadKernelBtf, Btf, BtfKind } from './btf';
export type { BtfType } from './btf';
export { RingBufferReader, RingBatch, UserRingBuffer, MappedMemory, sumCounters, openPidfd } from './maps';
export type { MapResource, MapInput, RingBufferOptions } from './maps';
export { BpfError, isBpfError } from './errors';
export type { BpfErrorContext } from './errors';
export { setCongestionControl, getCongestionControl } from './net/congestion';
export { demoObjectPath } from './demo-object';
export { openPinnedLink, openLinkById, ensureBpffsDir, isBpffs, unpin, BPFFS_ROOT } from './object';
export type { UpdateOptions } from './object';
export type { ShadowField, StructOpsValue, TypedMap } from './struct-ops/shadow';
export { probeStructOpsLink, structOpsLinkUnsupported, STRUCT_OPS_LINK_HINT, STRUCT_OPS_LINK_MIN_KERNEL } from './features';
export { probeArena, ARENA_HINT, ARENA_MIN_KERNEL } from './features';
export { listStructOps, dumpStructOps, listStructOpsTypes, inspectObject } from './struct-ops/introspect';
export type { StructOpsInfo, StructOpsState, StructOpsDump, StructOpsMemberDump, StructOpsProgramMember, StructOpsDataMember, ProgramRef, StructOpsTypeInfo, StructOpsTypeMember, InspectReport, InspectIssue, InspectedStructOps, InspectedMember, InspectedProgram, InspectedKsym } from './struct-ops/introspect';
export { KernelBtfs } from './object/load/kernel-btfs';
export type { KernelBtfsOptions, ModuleBtfSource } from './object/load/kernel-btfs';
export type { LoadPlan, PlanLoadOptions, PlannedMapCreate, PlannedProgLoad } from './object/load/plan';
export { probeBtfFeatures, probeKernelFeatures, probeStructOpsLinkUpdate, probeStructOpsLinkDetach } from './features';
export type { KernelFeatures } from './features';
export { ALL_BTF_FEATURES, sanitizeBtf } from './btf';
export type { BtfFeatures } from './btf';
