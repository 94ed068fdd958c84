// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Names of struct_ops types. (A local type's CO-RE flavor suffix, `tcp_congestion_ops___v2`,
 * is dropped by lib/core's essentialName, the rule CO-RE uses; the open phase calls it.)
 */

/** Prefix of the kernel value struct that wraps a struct_ops type T (`bpf_struct_ops_T`). */
export const VALUE_TYPE_PREFIX = 'bpf_struct_ops_';
