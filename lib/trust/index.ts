// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * lib/trust: directories and files nobody but the running user (or root) can change, checked
 * along their whole path on descriptors: the rule every on-disk cache goes through (the
 * kernel BTF index, the V8 code cache of the package's bundles).
 */
export { effectiveUid, openTrustedDir, trustedEntry, trustedOwner, type TrustedDir } from './trusted-dir';
