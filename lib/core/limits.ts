// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Recursion bounds. BTF comes from files we do not trust, and a reference cycle must end
 * in an error, never in a hang or a stack overflow.
 */

/** Deepest pointer/array/prototype nesting followed when comparing types (libbpf also stops at 32). */
export const MAX_TYPE_DEPTH = 32;
