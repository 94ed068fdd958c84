// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BTF sanitization for older kernels: the idea of libbpf's bpf_object__sanitize_btf
 * (KERNEL-FACTS §1.5 item 4), written for BtfPatch. Every kind or flag the running
 * kernel's BPF_BTF_LOAD does not know is rewritten into one it does, keeping the size of
 * every record and the id of every type, so that func_info, line_info, map and CO-RE
 * references into the object BTF stay valid.
 */
import type { Btf } from './btf';
import type { DistributiveOmit } from './builder';
import type { BtfPatch } from './patch';
import {
  BtfKind, BTF_FUNC_STATIC, type BtfDatasec, type BtfEnum, type BtfMember, type BtfType,
} from './types';

/**
 * What the kernel's BTF loader accepts (each first released in the Linux version given).
 * A missing feature is sanitized away by {@link sanitizeBtf}.
 */
export interface BtfFeatures {
  /** BTF_KIND_FUNC and FUNC_PROTO (4.20). Without: FUNC_PROTO -> ENUM, FUNC -> TYPEDEF, and no func_info/line_info. */
  func: boolean;
  /** FUNC with global linkage (5.6). Without: every FUNC gets static linkage. */
  globalFunc: boolean;
  /** BTF_KIND_VAR and DATASEC (5.2). Without: VAR -> 1-byte INT, DATASEC -> STRUCT of its variables. */
  datasec: boolean;
  /** DATASEC names that start with `?` (`?.struct_ops`, 2024). Without: the `?` becomes `_`. */
  qmarkDatasec: boolean;
  /** BTF_KIND_FLOAT (5.13). Without: an anonymous, empty STRUCT of the same size. */
  float: boolean;
  /** BTF_KIND_DECL_TAG (5.16). Without: a 1-byte INT placeholder. */
  declTag: boolean;
  /** BTF_KIND_TYPE_TAG (5.17). Without: an anonymous CONST of the same type. */
  typeTag: boolean;
  /**
   * BTF_KIND_ENUM64 and signed enums (ENUM kind_flag), both 6.0. Without: ENUM64 -> UNION of
   * 1-byte placeholders of the same size, and ENUM kind_flag cleared.
   */
  enum64: boolean;
}

/** Names of the {@link BtfFeatures}, in the order the probes run. */
export const BTF_FEATURE_NAMES: readonly (keyof BtfFeatures)[] = [
  'func', 'globalFunc', 'datasec', 'qmarkDatasec', 'float', 'declTag', 'typeTag', 'enum64',
];

/** A kernel that accepts everything (6.x): sanitization is a no-op. */
export const ALL_BTF_FEATURES: Readonly<BtfFeatures> = Object.freeze({
  func: true, globalFunc: true, datasec: true, qmarkDatasec: true, float: true, declTag: true, typeTag: true, enum64: true,
});

/** Name of the INT that members of a sanitized ENUM64 get (as libbpf names it). */
export const ENUM64_PLACEHOLDER = 'enum64_placeholder';

/**
 * The features whose answer can change what {@link sanitizeBtf} does to `btf`: a kind the
 * object does not use needs no probe (the loader asks the kernel about these alone). The
 * load's own fix-ups add only INTs and VARs of sections that are there already, and turn
 * FUNCs global, so the kinds of `btf` decide.
 */
export function btfFeaturesUsedBy(btf: Btf): (keyof BtfFeatures)[] {
  const used = new Set<keyof BtfFeatures>();
  // One walk over the records (kinds come from the info words); only ENUMs and DATASECs get decoded.
  for (const id of btf.idsOfKinds(FEATURE_KINDS)) {
    switch (btf.kindOf(id)) {
      case BtfKind.FUNC: case BtfKind.FUNC_PROTO: used.add('func').add('globalFunc'); break;
      case BtfKind.VAR: used.add('datasec'); break;
      case BtfKind.DATASEC:
        used.add('datasec');
        if (btf.typeById(id).name.startsWith('?')) used.add('qmarkDatasec');
        break;
      case BtfKind.FLOAT: used.add('float'); break;
      case BtfKind.DECL_TAG: used.add('declTag'); break;
      case BtfKind.TYPE_TAG: used.add('typeTag'); break;
      case BtfKind.ENUM: {
        const t = btf.typeById(id);
        if (t.kind === BtfKind.ENUM && t.signed) used.add('enum64');
        break;
      }
      case BtfKind.ENUM64: used.add('enum64'); break;
      default: break;
    }
  }
  return BTF_FEATURE_NAMES.filter((name) => used.has(name));
}

/** The kinds some feature is about. */
const FEATURE_KINDS: readonly BtfKind[] = [
  BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.VAR, BtfKind.DATASEC, BtfKind.FLOAT, BtfKind.DECL_TAG,
  BtfKind.TYPE_TAG, BtfKind.ENUM, BtfKind.ENUM64,
];

/** The kinds {@link sanitizeBtf} must look at for this feature set (none when all are there). */
function kindsToVisit(f: BtfFeatures): BtfKind[] {
  const kinds = new Set<BtfKind>();
  if (!f.datasec) kinds.add(BtfKind.VAR).add(BtfKind.DATASEC);
  else if (!f.qmarkDatasec) kinds.add(BtfKind.DATASEC);
  if (!f.declTag) kinds.add(BtfKind.DECL_TAG);
  if (!f.func) kinds.add(BtfKind.FUNC_PROTO).add(BtfKind.FUNC);
  else if (!f.globalFunc) kinds.add(BtfKind.FUNC);
  if (!f.float) kinds.add(BtfKind.FLOAT);
  if (!f.typeTag) kinds.add(BtfKind.TYPE_TAG);
  if (!f.enum64) kinds.add(BtfKind.ENUM).add(BtfKind.ENUM64);
  return [...kinds];
}

/**
 * Rewrites, in `patch`, every type the kernel described by `features` would reject. Type
 * ids never change; the only type added is the ENUM64 placeholder INT (at the end). With
 * every feature present nothing is looked at or changed.
 *
 * @param patch - edits of `btf` (earlier fix-ups included; added types are sanitized too)
 * @param btf - the BTF `patch` was made from
 * @param features - what the kernel accepts
 * @returns the number of types rewritten
 * @example
 * const p = new BtfPatch(btf);
 * sanitizeBtf(p, btf, { ...ALL_BTF_FEATURES, float: false });
 * btfLoad(p.encode());
 */
export function sanitizeBtf(patch: BtfPatch, btf: Btf, features: BtfFeatures): number {
  const kinds = kindsToVisit(features);
  if (kinds.length === 0) return 0;
  const visit = new Set(kinds);
  const ids = [...btf.idsOfKinds(kinds), ...patch.addedIds()];
  let placeholder = 0;
  const enum64Placeholder = (): number => {
    placeholder ||= patch.addType({
      kind: BtfKind.INT, nameOff: 0, name: ENUM64_PLACEHOLDER, size: 1, encoding: 0, bitOffset: 0, bits: 8,
    });
    return placeholder;
  };
  let changed = 0;
  for (const id of ids) {
    const t = patch.type(id);
    if (!visit.has(t.kind)) continue;
    const replacement = sanitized(t, features, patch, enum64Placeholder);
    if (replacement === undefined) continue;
    patch.replace(id, replacement);
    changed++;
  }
  return changed;
}

type Replacement = DistributiveOmit<BtfType, 'id'>;

/** The replacement for one type, or undefined when the kernel takes it as it is. */
function sanitized(t: BtfType, f: BtfFeatures, patch: BtfPatch, enum64Placeholder: () => number): Replacement | undefined {
  switch (t.kind) {
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      // A 1-byte int: anything bigger could exceed the space the variable had in its section.
      return { kind: BtfKind.INT, nameOff: t.nameOff, name: t.name, size: 1, encoding: 0, bitOffset: 0, bits: 8 };
    case BtfKind.DATASEC:
      if (!f.datasec) return datasecAsStruct(t, patch);
      // Names are the encoder's source of truth: the new name gets a string of its own.
      if (t.name.startsWith('?')) return { ...withoutId(t), name: `_${t.name.slice(1)}` };
      return undefined;
    case BtfKind.FUNC_PROTO:
      // Same record size: each (name, type) parameter becomes a (name, value) enumerator.
      return {
        kind: BtfKind.ENUM, nameOff: t.nameOff, name: t.name, size: 4, signed: false,
        values: t.params.map((q) => ({ nameOff: q.nameOff, name: q.name, value: q.type })),
      };
    case BtfKind.FUNC:
      if (!f.func) return { kind: BtfKind.TYPEDEF, nameOff: t.nameOff, name: t.name, type: t.type };
      return t.linkage === BTF_FUNC_STATIC ? undefined : { ...withoutId(t), linkage: BTF_FUNC_STATIC };
    case BtfKind.FLOAT:
      // C has no struct named "float": anonymous, like libbpf.
      return { kind: BtfKind.STRUCT, nameOff: 0, name: '', size: t.size, kindFlag: false, members: [] };
    case BtfKind.TYPE_TAG:
      return { kind: BtfKind.CONST, nameOff: 0, name: '', type: t.type };
    case BtfKind.ENUM:
      return t.signed ? { ...withoutId(t), signed: false } : undefined;
    case BtfKind.ENUM64:
      return enum64AsUnion(t, enum64Placeholder());
    default:
      return undefined;
  }
}

function withoutId<T extends BtfType>(t: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = t;
  return rest;
}

/** DATASEC -> STRUCT: one member per variable, named after it, at its offset. */
function datasecAsStruct(t: BtfDatasec, patch: BtfPatch): Replacement {
  const members: BtfMember[] = t.vars.map((v) => {
    const target = patch.type(v.type);
    return { nameOff: target.nameOff, name: target.name, type: v.type, bitOffset: v.offset * 8, bitfieldSize: 0 };
  });
  const name = t.name.replace(/[.?]/g, '_');
  return { kind: BtfKind.STRUCT, nameOff: t.nameOff, name, size: t.size, kindFlag: false, members };
}

/** ENUM64 -> UNION of the same size: one placeholder member per enumerator, all at offset 0. */
function enum64AsUnion(t: BtfEnum, placeholder: number): Replacement {
  return {
    kind: BtfKind.UNION, nameOff: t.nameOff, name: t.name, size: t.size, kindFlag: false,
    members: t.values.map((v) => ({ nameOff: v.nameOff, name: v.name, type: placeholder, bitOffset: 0, bitfieldSize: 0 })),
  };
}
