// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Public shapes of the CO-RE engine: the relocation records it consumes (one program's
 * share of .BTF.ext core_relo) and the report it returns.
 */
import type { CoreReloKind } from '../btf';

/** One CO-RE relocation of a program, as recorded by clang in .BTF.ext. */
export interface CoreRelocation {
  /** Byte offset of the instruction to patch within the program's instruction buffer. */
  insnOff: number;
  /** Local (object BTF) type id the access starts from. */
  typeId: number;
  /** Access string: `'0:1:2'` for fields, `'0'` for type relocations, the enumerator index for enums. */
  accessStr: string;
  /** What to compute. */
  kind: CoreReloKind;
}

/** A relocation that could not be resolved against the kernel; its instruction was poisoned. */
export interface PoisonedRelocation {
  /** Index (not byte offset) of the poisoned instruction. */
  insnIndex: number;
  /** The relocation, as passed in. */
  relocation: CoreRelocation;
  /** Why, e.g. `field 'only_local' not found in struct core_sk (1 candidate)`. */
  reason: string;
}

/** Result of {@link applyCoreRelocations}. */
export interface CoreResult {
  /** Relocations whose instruction was patched (including ones that computed 0, like a missing field's EXISTS). */
  applied: number;
  /** Relocations that poisoned their instruction instead. */
  poisoned: PoisonedRelocation[];
}

/** Names used in error messages. */
export interface CoreContext {
  /** Program (function) name. */
  program: string;
  /** ELF section the program comes from. */
  section: string;
}

/**
 * Immediate of a poisoned call instruction: 0xbad2310 ("bad relo"), the value libbpf uses,
 * so a reachable poisoned instruction fails verification with "invalid func unknown#195896080".
 */
export const CORE_POISON_IMM = 0xbad2310;
