// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** The struct_ops room's entry for other rooms: what each family's kernel code checks. */
export {
  checkFamilyRules, checkKfuncLicense, familiesWithRules, familyCheckInput, familyRules, gplCompatible, refusalHint, unusedOnlyViolation,
} from './family-rules';
export type { FamilyCheckInput, FamilyRules, KfuncCaller, Refusal, RefusedCommand, RuleViolation } from './family-rules';
