// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import { Btf, BtfKind } from '../../btf';
import { ElfFile, SHN_UNDEF, STB_WEAK } from '../../elf';
import type { ExternSpec } from '../spec';
import { findDatasec } from './btf-fixup';

/**
 * Collects `.kconfig` and `.ksyms` externs from the object's BTF, with weakness from the ELF
 * symbol table, and lays out the `.kconfig` map value (natural alignment, declaration order).
 * The DATASEC is updated to match so the kernel sees the same layout the code uses.
 */
export function collectExterns(btf: Btf, elf: ElfFile, objectName: string): ExternSpec[] {
  const externs: ExternSpec[] = [];
  const weakOf = (name: string): boolean => {
    const sym = elf.symbolByName(name);
    if (sym === undefined || sym.shndx !== SHN_UNDEF) {
      throw malformed(`extern ${name} has no undefined ELF symbol`, { object: objectName });
    }
    return sym.bind === STB_WEAK;
  };

  const kconfig = findDatasec(btf, '.kconfig');
  if (kconfig !== undefined) {
    let offset = 0;
    for (const entry of kconfig.vars) {
      const v = btf.typeById(entry.type);
      if (v.kind !== BtfKind.VAR) throw malformed(`.kconfig entry ${entry.type} is not a VAR`, { typeId: entry.type });
      const size = btf.sizeOf(v.type);
      // No kernel config value has 0 bytes, and a .kconfig of 0 bytes gets no map to read.
      if (size === 0) {
        throw malformed(`.kconfig extern ${v.name} has 0 bytes`, { object: objectName, typeId: v.id, hint: 'declare it as a bool, a char array, an enum or an integer' });
      }
      const align = Math.max(1, btf.alignOf(v.type));
      offset = Math.ceil(offset / align) * align;
      entry.offset = offset;
      entry.size = size;
      // The kernel only accepts allocated globals in a map-backed DATASEC.
      v.linkage = 1; // BTF_VAR_GLOBAL_ALLOCATED
      externs.push({ name: v.name, kind: 'kconfig', weak: weakOf(v.name), btfId: v.id, offset, size });
      offset += size;
    }
    kconfig.size = offset;
  }

  const ksyms = findDatasec(btf, '.ksyms');
  if (ksyms !== undefined) {
    for (const entry of ksyms.vars) {
      const t = btf.typeById(entry.type);
      if (t.kind === BtfKind.FUNC) {
        externs.push({ name: t.name, kind: 'kfunc', weak: weakOf(t.name), btfId: t.id, offset: 0, size: 0 });
      } else if (t.kind === BtfKind.VAR) {
        externs.push({ name: t.name, kind: 'ksym', weak: weakOf(t.name), btfId: t.id, offset: 0, size: 0 });
      } else {
        throw malformed(`.ksyms entry ${entry.type} is neither FUNC nor VAR`, { typeId: entry.type });
      }
    }
  }
  return externs;
}
