// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Shadow values: typed edits of a struct_ops variable before load (member values, and
 * which program each function pointer points to). This file is the folder's only entry point.
 */
export { shadowLayout, integerRange } from './layout';
export type { ShadowMember, IntegerMember, PlainMember, StringMember, BitfieldMember, RawMember } from './layout';
export { createShadowValue } from './value';
export type { ShadowHost, ShadowProgram } from './value';
export type { ShadowField, StructOpsValue, TypedMap } from './typed';
