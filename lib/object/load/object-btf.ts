import {
  BtfBuilder, BtfKind, BTF_FUNC_GLOBAL, BTF_FUNC_EXTERN, BTF_FUNC_STATIC, BTF_INT_SIGNED, BTF_VAR_GLOBAL_ALLOCATED,
} from '../../btf';
import { STV_HIDDEN, STV_INTERNAL } from '../../elf';
import type { ObjectSpec } from '../spec';

/**
 * Produces the object BTF the kernel will accept (KERNEL-FACTS §1.5): `.ksyms` kfunc FUNCs
 * lose extern linkage and get named parameters, the `.ksyms` DATASEC points at int VARs
 * instead of FUNCs, and hidden global functions become static. The string section is kept
 * byte-for-byte so line_info offsets stay valid.
 */
export function encodeObjectBtf(spec: ObjectSpec): Buffer {
  const b = new BtfBuilder(spec.btf);
  let intId = 0;
  let dummyId = 0;
  const intType = (): number => {
    if (intId === 0) {
      intId = b.addType({
        kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32,
      });
    }
    return intId;
  };

  for (const t of b.types) {
    if (t === undefined) continue;
    if (t.kind === BtfKind.DATASEC && t.name === '.ksyms') {
      t.vars.forEach((entry, i) => {
        const target = b.types[entry.type];
        if (target?.kind === BtfKind.FUNC) {
          // One shared placeholder VAR, as the kernel rejects FUNCs inside a DATASEC.
          if (dummyId === 0) {
            dummyId = b.addType({
              kind: BtfKind.VAR, nameOff: b.addString('dummy_ksym'), name: 'dummy_ksym', type: intType(),
              linkage: BTF_VAR_GLOBAL_ALLOCATED,
            });
          }
          entry.type = dummyId;
        } else if (target?.kind === BtfKind.VAR) {
          target.type = intType();
          target.linkage = BTF_VAR_GLOBAL_ALLOCATED;
        }
        entry.offset = i * 4;
        entry.size = 4;
      });
      t.size = t.vars.length * 4;
    }
  }
  for (const t of b.types) {
    if (t?.kind !== BtfKind.FUNC) continue;
    if (t.linkage === BTF_FUNC_EXTERN) {
      t.linkage = BTF_FUNC_GLOBAL;
      const proto = b.types[t.type];
      if (proto?.kind === BtfKind.FUNC_PROTO) {
        for (const p of proto.params) {
          if (p.name === '' && p.type !== 0) {
            p.name = 'dummy_ksym';
            p.nameOff = b.addString(p.name);
          }
        }
      }
    } else if (t.linkage === BTF_FUNC_GLOBAL) {
      const sym = spec.elf.symbolByName(t.name);
      if (sym && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL)) t.linkage = BTF_FUNC_STATIC;
    }
  }
  return b.encode();
}
