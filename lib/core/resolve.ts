// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Decides what one relocation becomes: evaluates it locally and in every candidate that
 * matches, and checks that the candidates agree. Patching the instruction is patch.ts's job.
 */
import { BTF_INT_SIGNED, BtfKind, CoreReloKind, type BtfType } from '../btf';
import { enumValue, fieldValue, typeValue, type SideValue } from './calc';
import type { Candidate } from './candidates';
import { typesAreCompatible } from './compat';
import { isEnumvalKind, isFieldKind } from './kinds';
import { matchEnumval, matchField } from './match';
import { describeSpec, type AccessSpec } from './spec';
import { typesMatch } from './type-match';

/** The decision for one relocation. */
export interface Resolution {
  /** Set when the instruction must be poisoned: why. */
  poison?: string;
  /** Value clang assumed (what the instruction should hold now). */
  orig: bigint;
  /** Value for the running kernel. */
  next: bigint;
  /** Whether to check the instruction holds `orig` before patching. */
  validate: boolean;
  /** Field size assumed locally (BYTE_OFFSET only; 0 otherwise). */
  origSize: number;
  /** Field size in the kernel. */
  newSize: number;
  /** The field size changed in a way a load/store cannot follow (signed or non-scalar). */
  badSizeChange: boolean;
}

/** Resolution plus the candidates that matched (libbpf narrows later relocations to them). */
export interface ResolveResult {
  resolution: Resolution;
  matched: Candidate[];
}

/**
 * Resolves one relocation against its candidates.
 *
 * @param kind - relocation kind
 * @param local - local spec (parseLocalSpec)
 * @param candidates - target types with the same essential name (findCandidates)
 * @throws RelocFailure when the local or a target type cannot be evaluated
 */
export function resolveRelocation(kind: CoreReloKind, local: AccessSpec, candidates: readonly Candidate[]): ResolveResult {
  if (kind === CoreReloKind.TYPE_ID_LOCAL) {
    const id = BigInt(local.rootId);
    // Ids may be renumbered by a BPF linker; the local id is whatever our BTF says.
    return { resolution: plain(id, id, false), matched: [] };
  }
  const localValue = evaluate(kind, local);
  let first: { spec: AccessSpec; value: SideValue; cand: Candidate } | undefined;
  const matched: Candidate[] = [];
  for (const cand of candidates) {
    const spec = matchCandidate(kind, local, cand);
    if (spec === undefined) continue;
    const value = evaluate(kind, spec);
    if (first === undefined) {
      first = { spec, value, cand };
    } else if (spec.bitOffset !== first.spec.bitOffset || value.value !== first.value.value) {
      const poison =
        `ambiguous: candidates [${first.cand.id}] ${describeSpec(first.spec)} and [${cand.id}] ` +
        `${describeSpec(spec)} give ${first.value.value} and ${value.value}`;
      return { resolution: { ...plain(localValue.value, 0n, true), poison }, matched: candidates.slice() };
    }
    matched.push(cand);
  }
  if (first === undefined) return { resolution: missing(kind, local, localValue, candidates.length), matched };
  return { resolution: combine(localValue, first.value), matched };
}

function evaluate(kind: CoreReloKind, spec: AccessSpec): SideValue {
  if (isFieldKind(kind)) return fieldValue(kind, spec);
  if (isEnumvalKind(kind)) return enumValue(kind, spec);
  return typeValue(kind, spec);
}

/** The target spec when the candidate fits the relocation, else undefined. */
function matchCandidate(kind: CoreReloKind, local: AccessSpec, cand: Candidate): AccessSpec | undefined {
  if (isFieldKind(kind)) return matchField(local, cand.btf, cand.id);
  if (isEnumvalKind(kind)) return matchEnumval(local, cand.btf, cand.id);
  const ok =
    kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootId, cand.btf, cand.id)
      : typesAreCompatible(local.btf, local.rootId, cand.btf, cand.id);
  return ok ? { btf: cand.btf, rootId: cand.id, accessors: [], raw: [], bitOffset: 0 } : undefined;
}

/** No candidate matched: existence checks give 0, type relocations 0, the rest poison. */
function missing(kind: CoreReloKind, local: AccessSpec, localValue: SideValue, count: number): Resolution {
  const orig = localValue.value;
  const optional =
    kind === CoreReloKind.FIELD_EXISTS ||
    kind === CoreReloKind.ENUMVAL_EXISTS ||
    (!isFieldKind(kind) && !isEnumvalKind(kind));
  if (optional) return plain(orig, 0n, localValue.validate);
  const what = describeSpec(local);
  const root = local.btf.typeById(local.rootId);
  const poison =
    count === 0
      ? `no type named '${root.name}' in kernel BTF (needed for ${what})`
      : `${what} not found in kernel BTF (${count} candidate${count === 1 ? '' : 's'} checked)`;
  return { ...plain(orig, 0n, localValue.validate), poison };
}

function plain(orig: bigint, next: bigint, validate: boolean): Resolution {
  return { orig, next, validate, origSize: 0, newSize: 0, badSizeChange: false };
}

/**
 * Local and target values into one decision. A BYTE_OFFSET whose field changed size may
 * still be followed by the load/store when both sides are pointers, or unsigned ints
 * (zero extension keeps the value); anything else is marked as a bad size change.
 */
function combine(local: SideValue, target: SideValue): Resolution {
  const res = plain(local.value, target.value, local.validate);
  res.origSize = local.memSize;
  res.newSize = target.memSize;
  if (res.origSize !== res.newSize) {
    const a = local.memType;
    const b = target.memType;
    const ptrs = a?.kind === BtfKind.PTR && b?.kind === BtfKind.PTR;
    const unsignedInts = isUnsignedInt(a) && isUnsignedInt(b);
    res.badSizeChange = !ptrs && !unsignedInts;
  }
  return res;
}

function isUnsignedInt(t: BtfType | undefined): boolean {
  return t?.kind === BtfKind.INT && (t.encoding & BTF_INT_SIGNED) === 0;
}
