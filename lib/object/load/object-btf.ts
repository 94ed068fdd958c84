// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import {
  ALL_BTF_FEATURES, BtfKind, BtfPatch, BTF_FUNC_GLOBAL, BTF_FUNC_EXTERN, BTF_FUNC_STATIC, BTF_INT_SIGNED,
  BTF_VAR_GLOBAL_ALLOCATED, sanitizeBtf, type BtfFeatures,
} from '../../btf';
import { applyDataResizes, type DataResize } from '../data-resize';
import type { ObjectSpec } from '../spec';

/**
 * Produces the object BTF the kernel will accept (KERNEL-FACTS §1.5): `.ksyms` kfunc FUNCs
 * lose extern linkage and get named parameters, the `.ksyms` DATASEC points at int VARs
 * instead of FUNCs, and hidden global functions become static. The string section is kept
 * byte-for-byte so line_info offsets stay valid. Then whatever the kernel described by
 * `features` does not know is sanitized away (lib/btf/sanitize.ts), keeping every type id.
 *
 * Only the types that differ from the object's bytes are encoded again (a copy-on-write
 * BtfPatch); everything else is copied. spec.btf itself is left unchanged. `resizes` are
 * the data sections the object resized before load (their DATASEC and last array VAR).
 */
export function encodeObjectBtf(
  spec: ObjectSpec, features: BtfFeatures = ALL_BTF_FEATURES, resizes: readonly DataResize[] = [],
): Buffer {
  // A frozen spec with no resized sections encodes to the same bytes for the same features:
  // kept per spec, so a process loading one object again and again (openObject reuses the
  // spec of the same bytes) encodes it once. Each caller gets its own copy.
  const key = resizes.length === 0 && Object.isFrozen(spec) ? featuresKey(features) : undefined;
  if (key !== undefined) {
    const hit = encoded.get(spec);
    if (hit !== undefined && hit.key === key) return Buffer.from(hit.btf);
  }
  const out = encodeFresh(spec, features, resizes);
  if (key !== undefined) encoded.set(spec, { key, btf: Buffer.from(out) });
  return out;
}

const encoded = new WeakMap<ObjectSpec, { key: string; btf: Buffer }>();

function featuresKey(features: BtfFeatures): string {
  return Object.keys(features).sort().map((k) => `${k}=${String(features[k as keyof BtfFeatures])}`).join(',');
}

function encodeFresh(spec: ObjectSpec, features: BtfFeatures, resizes: readonly DataResize[]): Buffer {
  const btf = spec.btf;
  const p = new BtfPatch(btf);
  let intId = 0;
  let dummyId = 0;
  const intType = (): number => {
    if (intId === 0) {
      intId = p.addType({
        kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32,
      });
    }
    return intId;
  };

  // Kinds come from the records: only the types looked at below get decoded.
  const datasecs = btf.idsOfKinds([BtfKind.DATASEC]);
  const hidden = new Set(spec.functions.filter((f) => f.hidden).map((f) => f.name));
  const funcs = btf.idsOfKinds([BtfKind.FUNC]);
  // spec.btf's bytes already hold the open phase's DATASEC/VAR fix-ups (open/index.ts).
  for (const id of datasecs) {
    const parsed = p.type(id);
    if (parsed.kind !== BtfKind.DATASEC || parsed.name !== '.ksyms') continue;
    const t = p.edit(id) as typeof parsed;
    t.vars.forEach((entry, i) => {
      const target = p.type(entry.type);
      if (target.kind === BtfKind.FUNC) {
        // One shared placeholder VAR, as the kernel rejects FUNCs inside a DATASEC.
        if (dummyId === 0) {
          const type = intType();
          dummyId = p.addType({
            kind: BtfKind.VAR, nameOff: p.addString('dummy_ksym'), name: 'dummy_ksym', type,
            linkage: BTF_VAR_GLOBAL_ALLOCATED,
          });
        }
        entry.type = dummyId;
      } else if (target.kind === BtfKind.VAR) {
        const v = p.edit(entry.type) as typeof target;
        v.type = intType();
        v.linkage = BTF_VAR_GLOBAL_ALLOCATED;
      }
      entry.offset = i * 4;
      entry.size = 4;
    });
    t.size = t.vars.length * 4;
  }
  for (const id of funcs) {
    const t = p.type(id);
    if (t.kind !== BtfKind.FUNC) continue;
    if (t.linkage === BTF_FUNC_EXTERN) {
      const f = p.edit(id) as typeof t;
      f.linkage = BTF_FUNC_GLOBAL;
      const proto = p.type(f.type);
      if (proto.kind === BtfKind.FUNC_PROTO && proto.params.some((q) => q.name === '' && q.type !== 0)) {
        const edited = p.edit(f.type) as typeof proto;
        for (const q of edited.params) {
          if (q.name === '' && q.type !== 0) {
            q.name = 'dummy_ksym';
            q.nameOff = p.addString(q.name);
          }
        }
      }
    } else if (t.linkage === BTF_FUNC_GLOBAL) {
      if (hidden.has(t.name)) (p.edit(id) as typeof t).linkage = BTF_FUNC_STATIC;
    }
  }
  applyDataResizes(p, resizes);
  sanitizeBtf(p, btf, features);
  return p.encode();
}
