// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import { Btf, BtfKind } from '../../btf';
import { ElfFile, SHN_LORESERVE, STT_FUNC, STT_SECTION } from '../../elf';
import { INSN_SIZE } from '../../asm';
import { essentialName } from '../../core';
import type { ProgramSpec, StructOpsSpec } from '../spec';
import { datasecVars, findDatasec } from './btf-fixup';
import { structOpsSection } from './sections';

/**
 * Every variable in `.struct_ops`, `.struct_ops.link` (and `?`-prefixed forms) becomes a
 * struct_ops map named after the variable; the section's relocations say which program
 * each function-pointer member points to.
 */
export function collectStructOps(
  elf: ElfFile, btf: Btf, programs: ProgramSpec[], objectName: string,
): StructOpsSpec[] {
  const result: StructOpsSpec[] = [];
  for (const section of elf.sections) {
    const kind = structOpsSection(section.name);
    if (kind === undefined) continue;
    const datasec = findDatasec(btf, section.name);
    if (datasec === undefined) {
      throw malformed(`section ${section.name} has no BTF DATASEC; compile with -g`, {
        object: objectName, section: section.name,
      });
    }
    const specs: StructOpsSpec[] = [];
    for (const { v, offset, size } of datasecVars(btf, datasec)) {
      const type = btf.resolve(v.type);
      const where = { object: objectName, section: section.name, map: v.name, typeId: v.type };
      if (type.kind !== BtfKind.STRUCT) throw malformed(`struct_ops variable ${v.name} is not a struct`, where);
      if (type.name === '') throw malformed(`struct_ops variable ${v.name}: anonymous type is not supported`, where);
      if (offset + type.size > section.size || size < type.size) {
        throw malformed(`struct_ops variable ${v.name} is beyond the end of ${section.name}`, where);
      }
      specs.push({
        name: v.name,
        section: section.name,
        link: kind.link,
        autocreate: kind.autocreate,
        typeId: type.id,
        kernelTypeName: essentialName(type.name),
        sectionOffset: offset,
        data: Buffer.from(section.data.subarray(offset, offset + type.size)),
        programs: new Map(),
      });
    }
    bindPrograms(elf, btf, section.index, specs, programs, objectName);
    result.push(...specs);
  }
  return result;
}

function bindPrograms(
  elf: ElfFile, btf: Btf, sectionIndex: number, specs: StructOpsSpec[], programs: ProgramSpec[], objectName: string,
): void {
  const section = elf.sectionAt(sectionIndex);
  for (const rel of elf.relocationsFor(section)) {
    const where = { object: objectName, section: section.name, offset: section.offset + rel.offset };
    const spec = specs.find((s) => rel.offset >= s.sectionOffset && rel.offset < s.sectionOffset + s.data.length);
    if (spec === undefined) throw malformed(`relocation at ${rel.offset} is outside every struct_ops variable`, where);
    const moff = rel.offset - spec.sectionOffset;
    const type = btf.resolve(spec.typeId);
    const member = type.kind === BtfKind.STRUCT ? type.members.find((m) => m.bitOffset === moff * 8) : undefined;
    if (member === undefined) throw malformed(`struct_ops ${spec.name}: no member at offset ${moff}`, where);
    const sym = elf.symbols[rel.symbol];
    if (sym === undefined || sym.shndx === 0 || sym.shndx >= SHN_LORESERVE) {
      throw malformed(`struct_ops ${spec.name}.${member.name}: unsupported non-static function`, { ...where, member: member.name });
    }
    if (sym.type !== STT_FUNC && sym.type !== STT_SECTION) {
      throw malformed(`struct_ops ${spec.name}.${member.name}: cannot relocate non func ptr`, { ...where, member: member.name });
    }
    const memberType = btf.resolve(member.type);
    if (memberType.kind !== BtfKind.PTR || btf.resolve(memberType.type).kind !== BtfKind.FUNC_PROTO) {
      throw malformed(`struct_ops ${spec.name}.${member.name} is not a function pointer`, { ...where, member: member.name });
    }
    // A REL against a section symbol keeps its addend in the 8 patched bytes themselves.
    const addend = sym.type === STT_SECTION ? rel.addend || Number(section.data.readBigUInt64LE(rel.offset)) : 0;
    const insn = (sym.value + addend) / INSN_SIZE;
    const prog = programs.find((p) => p.sectionIndex === sym.shndx && p.insnOffset === insn);
    if (prog === undefined || !prog.structOps) {
      throw malformed(
        `struct_ops ${spec.name}.${member.name}: ${sym.name} is not a struct_ops program (use SEC("struct_ops/..."))`,
        { ...where, member: member.name },
      );
    }
    spec.programs.set(member.name, prog.name);
  }
}
