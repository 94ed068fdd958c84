// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Internal failure type of the CO-RE engine. Deep helpers (spec parsing, matching, patching)
 * only know what went wrong; applyCoreRelocations adds which program, section, relocation
 * and instruction it was and turns it into a BpfError.
 */

/** A relocation that cannot be applied at all (not merely unresolvable). */
export class RelocFailure extends Error {
  override name = 'RelocFailure';

  /**
   * @param message - lowercase reason, without context
   * @param code - errno name for the resulting BpfError (EINVAL unless stated)
   */
  constructor(message: string, readonly code = 'EINVAL') {
    super(message);
  }
}
