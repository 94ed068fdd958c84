// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { malformed } from '../../errors';
import {
  ElfFile, ElfSection, SHF_EXECINSTR, STB_GLOBAL, STB_LOCAL, STT_FUNC, STV_DEFAULT, STV_HIDDEN, STV_INTERNAL,
} from '../../elf';
import { INSN_SIZE } from '../../asm';
import type { FunctionSpec, ProgramSpec } from '../spec';
import { sectionDef, sectionTarget } from './sections';

/** Executable sections with code in them. */
export function codeSections(elf: ElfFile): ElfSection[] {
  return elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0);
}

/**
 * Collects every function of every executable section. Functions outside `.text` are
 * programs (several per section allowed); `.text` functions are subprograms appended to the
 * programs that call them.
 */
export function collectFunctions(
  elf: ElfFile,
  objectName: string,
  warnings: string[],
): { functions: FunctionSpec[]; programs: ProgramSpec[] } {
  const functions: FunctionSpec[] = [];
  const programs: ProgramSpec[] = [];
  for (const section of codeSections(elf)) {
    if (section.size % INSN_SIZE !== 0) {
      throw malformed(`section ${section.name}: size ${section.size} is not a multiple of ${INSN_SIZE}`, {
        object: objectName, section: section.name, offset: section.offset,
      });
    }
    const isText = section.name === '.text';
    const def = isText ? undefined : sectionDef(section.name);
    const symbols = elf.symbolsIn(section.index).filter((s) => s.type === STT_FUNC);
    if (symbols.length === 0) {
      warnings.push(`section ${section.name}: code without function symbols is ignored`);
      continue;
    }
    if (!isText && def === undefined) {
      warnings.push(
        `section ${section.name}: unsupported program type; ${symbols.map((s) => s.name).join(', ')} not loaded`,
      );
    }
    for (const sym of symbols) {
      if (sym.value % INSN_SIZE !== 0 || sym.size % INSN_SIZE !== 0 || sym.size === 0 ||
          sym.value + sym.size > section.size) {
        throw malformed(`function ${sym.name}: bad bounds ${sym.value}+${sym.size} in section ${section.name}`, {
          object: objectName, section: section.name, offset: section.offset + sym.value,
        });
      }
      const fn: FunctionSpec = {
        name: sym.name,
        section: section.name,
        sectionIndex: section.index,
        insnOffset: sym.value / INSN_SIZE,
        insnCount: sym.size / INSN_SIZE,
        isProgram: !isText,
        isGlobal: sym.bind === STB_GLOBAL && sym.visibility === STV_DEFAULT,
        hidden: sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL,
        insns: section.data.subarray(sym.value, sym.value + sym.size),
        relocations: [],
      };
      functions.push(fn);
      if (isText || def === undefined) continue;
      if (sym.bind === STB_LOCAL) {
        // libbpf rejects static entry points too: the kernel-visible name would be ambiguous.
        throw malformed(`program ${sym.name} in section ${section.name} is static; programs must be global`, {
          object: objectName, program: sym.name, section: section.name,
        });
      }
      programs.push({
        ...fn,
        progType: def.progType,
        progFlags: def.progFlags,
        expectedAttachType: def.expectedAttachType ?? 0,
        structOps: def.structOps,
        attachTarget: sectionTarget(section.name),
        btfTarget: def.btfTarget,
      });
    }
  }
  return { functions, programs };
}

/** Finds the function that starts at `insn` of section `sectionIndex`. */
export function functionAt(functions: readonly FunctionSpec[], sectionIndex: number, insn: number): FunctionSpec | undefined {
  return functions.find((f) => f.sectionIndex === sectionIndex && f.insnOffset === insn);
}

/** Finds the function containing instruction `insn` of section `sectionIndex`. */
export function functionContaining(
  functions: readonly FunctionSpec[], sectionIndex: number, insn: number,
): FunctionSpec | undefined {
  return functions.find(
    (f) => f.sectionIndex === sectionIndex && insn >= f.insnOffset && insn < f.insnOffset + f.insnCount,
  );
}
