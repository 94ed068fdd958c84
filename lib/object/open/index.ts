import { basename } from 'node:path';
import { BpfError, isBpfError } from '../../errors';
import { Btf, parseBtfExt } from '../../btf';
import { parseElf } from '../../elf';
import type { ObjectSpec } from '../spec';
import { fixupDatasecs } from './btf-fixup';
import { collectExterns } from './externs';
import { codeSections, collectFunctions } from './functions';
import { collectBtfMaps, collectDataMaps, kconfigMap } from './maps';
import { collectRelocations } from './relocations';
import { collectStructOps } from './struct-ops';

/** Object name as libbpf derives it: the file's base name up to its first '.'. */
export function objectNameOf(path: string): string {
  const base = basename(path);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Parses a clang-compiled BPF object into an ObjectSpec without touching the kernel:
 * ELF, BTF (with DATASEC fix-ups), programs, maps, externs, relocations and struct_ops
 * variables. Each step's failure is a BpfError saying which step and where.
 *
 * @throws {BpfError} code EINVAL for malformed or unsupported input.
 */
export function loadObjectSpec(data: Buffer, path = 'buffer'): ObjectSpec {
  const name = objectNameOf(path);
  const step = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (isBpfError(err)) {
        if (err.object === undefined) (err as { object?: string }).object = path;
        if (!err.message.startsWith(`${path}:`)) err.message = `${path}: ${what}: ${err.message}`;
        throw err;
      }
      throw new BpfError(`${path}: ${what}: ${(err as Error).message}`, { object: path, cause: err });
    }
  };

  const elf = step('parse ELF', () => parseElf(data, path));
  const btfSection = elf.section('.BTF');
  if (btfSection === undefined) {
    throw new BpfError(`${path}: no .BTF section`, {
      object: path, hint: 'compile with clang -g so the object carries BTF (required for struct_ops)',
    });
  }
  const btf = step('parse .BTF', () => Btf.parse(btfSection.data, { name }));
  const extSection = elf.section('.BTF.ext');
  const btfExt = extSection && step('parse .BTF.ext', () => parseBtfExt(extSection.data, (off) => btf.stringAt(off)));
  const warnings: string[] = [];

  step('fix up BTF data sections', () => fixupDatasecs(btf, elf, path));
  const externs = step('collect externs', () => collectExterns(btf, elf, path));
  const { functions, programs } = step('collect programs', () => collectFunctions(elf, path, warnings));
  const maps = step('collect maps', () => {
    const kconfig = kconfigMap(btf, name);
    return [...collectBtfMaps(btf, path, elf), ...collectDataMaps(elf, btf, name), ...(kconfig ? [kconfig] : [])];
  });
  step('collect relocations', () =>
    collectRelocations({ elf, objectName: path, functions, maps, externs }, codeSections(elf)));
  const structOps = step('collect struct_ops', () => collectStructOps(elf, btf, programs, path));

  const licenseSection = elf.section('license');
  const license = licenseSection ? licenseSection.data.toString('latin1').replace(/\0[\s\S]*$/, '') : '';
  const versionSection = elf.section('version');
  const kernVersion = versionSection && versionSection.size >= 4 ? versionSection.data.readUInt32LE(0) : 0;

  return {
    name, path, elf, btf, btfExt, license, kernVersion, functions, programs, maps, structOps, externs, warnings,
  };
}
