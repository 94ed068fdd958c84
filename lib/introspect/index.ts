// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Introspection of struct_ops in the running kernel (what is registered, its decoded value,
 * which types the kernel supports) and of object files against it. This file is the
 * folder's only entry point.
 */
export { listStructOps, findStructOps, notFound } from './list';
export type { StructOpsInfo, StructOpsFilter, FoundStructOps } from './list';
export type { StructOpsState } from './kernel-value';
export { dumpStructOps, dumpMatching } from './dump';
export type { StructOpsDump, StructOpsMemberDump, StructOpsProgramMember, StructOpsDataMember } from './dump';
export type { ProgramRef } from './programs';
export type { JsonValue } from './bpftool-json';
export { listStructOpsTypes } from './types';
export type { StructOpsTypeInfo, StructOpsTypeMember } from './types';
export { inspectObject } from './inspect';
export type { InspectReport, InspectIssue, InspectedStructOps, InspectedMember, InspectedProgram, InspectedKsym } from './inspect';
// Ending the registrations found there (unregister.ts).
export { findRegistrations, unregisterStructOps } from './unregister';
export type { UnregisterTarget, Unregistered, StructOpsRegistration } from './unregister';
