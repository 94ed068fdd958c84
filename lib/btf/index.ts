// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BTF: parse, look up, rebuild and load the kernel's type information. Pure TypeScript;
 * this folder never touches the bpf() syscall. This file is the folder's only entry point.
 */
export * from './types';
export { Btf } from './btf';
export type { BtfParseOptions } from './btf';
export { BtfBuilder } from './builder';
export { BtfPatch } from './patch';
export { ALL_BTF_FEATURES, BTF_FEATURE_NAMES, ENUM64_PLACEHOLDER, btfFeaturesUsedBy, sanitizeBtf } from './sanitize';
export type { BtfFeatures } from './sanitize';
export type { DistributiveOmit } from './builder';
export { kindName, toKind } from './kinds';
export { loadKernelBtf, loadModuleBtf, listKernelBtfModules } from './kernel';
export * from './ext';
export { parseHeader } from './header';
export type { BtfHeader } from './header';
export { decodeValue } from './value';
export type { DecodedValue } from './value';
