// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * struct_ops: matching an object's struct to the kernel's (find the kernel type, plan each
 * member, build the kernel value) and registering it (legacy map updates, the hints of a
 * refused registration), seen through RegistrableMap, so lib/object's StructOpsMap and
 * lib/link's BpfLink build on it. Shadow values (lib/shadow) are re-exported for the public API.
 */
export { shadowLayout, integerRange } from '../shadow';
export type {
  ShadowField, StructOpsValue, TypedMap, ShadowMember, IntegerMember, PlainMember, StringMember, BitfieldMember, RawMember,
} from '../shadow';
export { VALUE_TYPE_PREFIX } from './names';
export { findKernelStructOps } from './kernel-type';
export type { KernelBtfSource, KernelStructOps } from './kernel-type';
export { buildStructOpsValue, planStructOps } from './plan';
export type { LocalStructOps, ProgramSlot, StructOpsPlan } from './plan';
export type { RegistrableMap } from './registrable-map';
export { LegacyRegistration, endLegacyRegistration } from './legacy-registration';
export type { LegacyEnd } from './legacy-registration';
export { structOpsName, withRegistrationHint } from './registration-hints';
