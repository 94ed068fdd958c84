// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * lib/pin: bpffs pins for any BPF object fd (maps and links alike): mount check, pin,
 * what a pin holds, unpin. Below lib/maps and lib/object, which both pin.
 */
export { accessDenied, ensureBpffsDir, isBpffs, pinObject, pinnedObject, unpin, BPFFS_MAGIC, BPFFS_ROOT } from './pin';
export type { PinnedObject } from './pin';
