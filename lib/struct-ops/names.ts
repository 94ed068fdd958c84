// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Names of struct_ops types. A local type may carry a CO-RE flavor suffix
 * (`tcp_congestion_ops___v2`); the kernel type is found by its essential name, with the
 * same rule CO-RE uses, so it is shared from lib/core.
 */
export { essentialName } from '../core';

/** Prefix of the kernel value struct that wraps a struct_ops type T (`bpf_struct_ops_T`). */
export const VALUE_TYPE_PREFIX = 'bpf_struct_ops_';
