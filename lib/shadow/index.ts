// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Shadow values: typed edits of a struct_ops variable before load (member values, and
 * which program each function pointer points to), and the member codec under them that map
 * values reuse. BTF only: below lib/maps, lib/object and lib/struct-ops, which all use it.
 * This file is the folder's only entry point.
 */
export { shadowLayout, integerRange, valueLayout } from './layout';
export { ShadowWriteError, writeMember } from './codec';
export type { ShadowMember, IntegerMember, PlainMember, StringMember, BitfieldMember, RawMember } from './layout';
export { createShadowValue } from './value';
export type { ShadowHost, ShadowProgram } from './value';
export type { ShadowField, StructOpsValue, TypedMap } from './typed';
