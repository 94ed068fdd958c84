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
export { openObject, loadObjectSpec, BpfObject, BpfProgram, BpfMap, StructOpsMap, BpfLink, decodeValue } from './object';
export type { AttachOptions, MapKey, DecodedValue, ObjectSpec, LoadObjectSpecOptions, ProgramSpec, MapSpec, ArenaGlobalsSpec, StructOpsSpec, TestRunArg, TestRunOptions, TestRunResult } from './object';
export { loadKernelBtf, Btf, BtfKind } from './btf';
export type { BtfType } from './btf';
export { RingBufferReader, RingBatch, UserRingBuffer, MappedMemory, sumCounters, openPidfd } from './maps';
export type { MapResource, ResourceMap, MapInput, RingBufferOptions } from './maps';
export { BpfError, isBpfError } from './errors';
export type { BpfErrorContext } from './errors';
export { setCongestionControl, getCongestionControl } from './net';
export { demoObjectPath } from './demo-object';
export { openPinnedLink, openLinkById, ensureBpffsDir, isBpffs, unpin, BPFFS_ROOT } from './object';
export type { UpdateOptions, RegistrableMap } from './object';
export type { ShadowField, StructOpsValue, TypedMap } from './struct-ops';
export { probeStructOpsLink, structOpsLinkUnsupported, STRUCT_OPS_LINK_HINT, STRUCT_OPS_LINK_MIN_KERNEL } from './kernel';
export { probeArena, ARENA_HINT, ARENA_MIN_KERNEL, ARENA_REFUSED_HINT } from './kernel';
export { listStructOps, dumpStructOps, listStructOpsTypes, inspectObject } from './introspect';
export type { StructOpsInfo, StructOpsState, StructOpsDump, StructOpsMemberDump, StructOpsProgramMember, StructOpsDataMember, ProgramRef, StructOpsTypeInfo, StructOpsTypeMember, InspectReport, InspectIssue, InspectedStructOps, InspectedMember, InspectedProgram, InspectedKsym } from './introspect';
export { KernelBtfs } from './object';
export type { KernelBtfsOptions, ModuleBtfSource } from './object';
export type { LoadPlan, PlanLoadOptions, PlannedMapCreate, PlannedProgLoad } from './object';
export { probeBtfFeatures, probeKernelFeatures, probeStructOpsLinkUpdate, probeStructOpsLinkDetach } from './kernel';
export type { KernelFeatures } from './kernel';
export { ALL_BTF_FEATURES, sanitizeBtf } from './btf';
export type { BtfFeatures } from './btf';
export { findRegistrations, unregisterStructOps } from './introspect';
export type { UnregisterTarget, Unregistered, StructOpsRegistration } from './introspect';
// Public too because the struct-ops CLI (lib/cli) is built on the public API only:
// what a pin holds (a link or map, and its id);
export { pinnedObject } from './object';
export type { PinnedObject } from './object';
// the `name` of a loaded struct_ops map's kernel value (the TCP algorithm name), or undefined;
export { structOpsName } from './object';
// every struct_ops map matching {id} / {name} (all for {}), dumped like dumpStructOps;
export { dumpMatching } from './introspect';
export type { StructOpsFilter } from './introspect';
// the members of a struct_ops variable's struct as shadow values edit them, and their ranges;
export { shadowLayout, integerRange } from './struct-ops';
export type { ShadowMember, IntegerMember, PlainMember, StringMember, BitfieldMember, RawMember } from './struct-ops';
// BTF_INT_* encoding bits of a BtfKind.INT type's `encoding`.
export { BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL } from './btf';
