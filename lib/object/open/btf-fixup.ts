// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError, malformed } from '../../errors';
import {
  Btf, BtfDatasec, BtfKind, BtfVar, BTF_VAR_STATIC,
} from '../../btf';
import { ElfFile, STV_HIDDEN, STV_INTERNAL } from '../../elf';

/** DATASECs whose layout the loader decides itself (externs), not the ELF. */
const EXTERN_SECTIONS = new Set(['.kconfig', '.ksyms']);

/**
 * clang leaves DATASEC sizes and VAR offsets zero; the kernel needs the real ones, and the
 * struct_ops maps are cut at these offsets. Fill them in from the ELF section sizes and
 * symbol values, as libbpf does at open time. Mutates the object's parsed BTF types.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile, objectName: string): void {
  // Kinds are read from the records, so only DATASECs get decoded here.
  for (const id of btf.idsOfKinds([BtfKind.DATASEC])) {
    const type = btf.typeById(id) as BtfDatasec;
    if (EXTERN_SECTIONS.has(type.name)) continue;
    fixupDatasec(btf, elf, type, objectName);
  }
}

function fixupDatasec(btf: Btf, elf: ElfFile, sec: BtfDatasec, objectName: string): void {
  const section = elf.section(sec.name);
  if (section === undefined) {
    // clang emits DATASECs only for sections it wrote; a missing one means a corrupted file.
    throw malformed(`BTF DATASEC ${sec.name} has no ELF section`, { object: objectName, typeId: sec.id });
  }
  sec.size = section.size;
  for (const entry of sec.vars) {
    const v = btf.typeById(entry.type);
    if (v.kind !== BtfKind.VAR) {
      throw malformed(`BTF DATASEC ${sec.name}: entry ${entry.type} is not a VAR`, {
        object: objectName, typeId: sec.id,
      });
    }
    const sym = elf.symbolByName(v.name);
    if (sym === undefined || sym.shndx !== section.index) {
      throw malformed(`BTF DATASEC ${sec.name}: no ELF symbol for variable ${v.name}`, {
        object: objectName, section: sec.name, typeId: v.id,
      });
    }
    entry.offset = sym.value;
    if (entry.offset + entry.size > section.size) {
      throw malformed(`variable ${v.name} (${entry.offset}+${entry.size}) is beyond the end of ${sec.name}`, {
        object: objectName, section: sec.name, offset: section.offset + entry.offset,
      });
    }
    if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) (v as BtfVar).linkage = BTF_VAR_STATIC;
  }
  sec.vars.sort((a, b) => a.offset - b.offset);
}

/** Finds a DATASEC by section name. */
export function findDatasec(btf: Btf, name: string): BtfDatasec | undefined {
  const t = btf.findByName(name, BtfKind.DATASEC);
  return t?.kind === BtfKind.DATASEC ? t : undefined;
}

/** The VAR types of a DATASEC with their offsets and sizes. */
export function datasecVars(btf: Btf, sec: BtfDatasec): { v: BtfVar; offset: number; size: number }[] {
  return sec.vars.map((entry) => {
    const v = btf.typeById(entry.type);
    if (v.kind !== BtfKind.VAR) {
      throw new BpfError(`BTF DATASEC ${sec.name}: entry ${entry.type} is not a VAR`, { typeId: sec.id });
    }
    return { v, offset: entry.offset, size: entry.size };
  });
}
