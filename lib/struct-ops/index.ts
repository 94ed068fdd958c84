// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * struct_ops: matching an object's struct to the kernel's, shadow values (typed edits of a
 * struct_ops variable before load), and introspection of what the kernel has registered
 * (introspect/). This file is the room's entry point for the public API.
 */
export { shadowLayout, integerRange } from '../shadow';
export { listStructOps, dumpStructOps, dumpMatching, listStructOpsTypes, inspectObject, findRegistrations, unregisterStructOps } from './introspect';
export type {
  StructOpsInfo, StructOpsState, StructOpsFilter, StructOpsDump, StructOpsMemberDump, StructOpsProgramMember,
  StructOpsDataMember, ProgramRef, StructOpsTypeInfo, StructOpsTypeMember, InspectReport, InspectIssue,
  InspectedStructOps, InspectedMember, InspectedProgram, InspectedKsym, UnregisterTarget, Unregistered, StructOpsRegistration,
} from './introspect';
export type {
  ShadowField, StructOpsValue, TypedMap, ShadowMember, IntegerMember, PlainMember, StringMember, BitfieldMember, RawMember,
} from '../shadow';
