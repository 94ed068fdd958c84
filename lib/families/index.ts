// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Room `families`: what each struct_ops family's kernel code checks (required and refused
 * members, names, flags, licences) and the hints for its refusals. Used by inspect (before
 * loading) and by load (before and after the kernel says no); depends on lib/btf only.
 */
export {
  checkFamilyRules, checkKfuncLicense, familiesWithRules, familyCheckInput, familyRules, gplCompatible, refusalHint, unusedOnlyViolation,
} from './rules';
export type { FamilyCheckInput, FamilyRules, KfuncCaller, Refusal, RefusedCommand, RuleViolation } from './rules';
