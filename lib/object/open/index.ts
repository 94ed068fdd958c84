// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { basename } from 'node:path';
import { BpfError, isBpfError } from '../../errors';
import { Btf, BtfKind, BtfPatch, parseBtfExt } from '../../btf';
import { parseElf } from '../../elf';
import type { ObjectSpec } from '../spec';
import { fixupDatasecs } from './btf-fixup';
import { collectExterns } from './externs';
import { codeSections, collectFunctions } from './functions';
import { systemPageSize } from '../../sys';
import { collectArenaGlobals } from './arena';
import { collectBtfMaps, collectDataMaps, kconfigMap } from './maps';
import { collectRelocations } from './relocations';
import { collectStructOps } from './struct-ops';

/** Object name as libbpf derives it: the file's base name up to its first '.'. */
export function objectNameOf(path: string): string {
  const base = basename(path);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Options of {@link loadObjectSpec}. */
export interface LoadObjectSpecOptions {
  /**
   * The page size `__arena` globals are placed for (an ARENA map's max_entries counts
   * pages, and the globals take its last ones). @defaultValue this process's page size
   */
  pageSize?: number;
}

/**
 * Parses a clang-compiled BPF object into an ObjectSpec without touching the kernel:
 * ELF, BTF (with DATASEC fix-ups), programs, maps, externs, relocations and struct_ops
 * variables. Each step's failure is a BpfError saying which step and where. The spec is
 * the same on every machine, except the offset of `__arena` globals, which depends on the
 * page size (as an arena's size does). The spec is frozen (see ObjectSpec): pass it to
 * `openObject(spec)` to open as many independent objects from it as needed.
 *
 * @throws {BpfError} code EINVAL for malformed or unsupported input (E2BIG for `__arena`
 *   globals larger than their arena).
 */
export function loadObjectSpec(data: Buffer, path = 'buffer', options: LoadObjectSpecOptions = {}): ObjectSpec {
  const name = objectNameOf(path);
  // Checked now, read from the process only for an object that has __arena globals.
  const pageSize = pageSizeOption(options.pageSize);
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

  // The spec owns its bytes: instructions and section data are views into this copy, so a
  // caller that reuses its Buffer after open changes no spec (nor an object made from one).
  const own = Buffer.isBuffer(data) ? Buffer.from(data) : data;
  const elf = step('parse ELF', () => parseElf(own, path));
  const btfSection = elf.section('.BTF');
  if (btfSection === undefined) {
    throw new BpfError(`${path}: no .BTF section`, {
      object: path, hint: 'compile with clang -g so the object carries BTF (required for struct_ops)',
    });
  }
  const parsed = step('parse .BTF', () => Btf.parse(btfSection.data, { name }));
  const extSection = elf.section('.BTF.ext');
  const btfExt = extSection && step('parse .BTF.ext', () => parseBtfExt(extSection.data, (off) => parsed.stringAt(off)));
  const warnings: string[] = [];

  step('fix up BTF data sections', () => fixupDatasecs(parsed, elf, path));
  const externs = step('collect externs', () => collectExterns(parsed, elf, path));
  // The fix-ups changed parsed types in place; the spec's BTF is encoded again from them so
  // its bytes (btf.raw) and its types agree.
  const btf = step('encode fixed-up BTF', () => reencodeFixedBtf(parsed));
  const { functions, programs } = step('collect programs', () => collectFunctions(elf, path, warnings));
  const maps = step('collect maps', () => {
    const kconfig = kconfigMap(btf, name);
    return [...collectBtfMaps(btf, path, elf), ...collectDataMaps(elf, btf, name), ...(kconfig ? [kconfig] : [])];
  });
  step('collect __arena globals', () => collectArenaGlobals(elf, maps, pageSize, path));
  step('collect relocations', () =>
    collectRelocations({ elf, objectName: path, functions, maps, externs }, codeSections(elf)));
  const structOps = step('collect struct_ops', () => collectStructOps(elf, btf, programs, path));

  const licenseSection = elf.section('license');
  const license = licenseSection ? licenseSection.data.toString('latin1').replace(/\0[\s\S]*$/, '') : '';
  const versionSection = elf.section('version');
  const kernVersion = versionSection && versionSection.size >= 4 ? versionSection.data.readUInt32LE(0) : 0;

  // Immutable from here on: objects opened from this spec keep their edits to themselves.
  return freezeSpec({
    name, path, btf, btfExt, license, kernVersion, functions, programs, maps, structOps, externs, warnings,
  });
}

/** The BTF of `parsed` with the DATASEC and VAR types the open phase filled in encoded again. */
function reencodeFixedBtf(parsed: Btf): Btf {
  const patch = new BtfPatch(parsed);
  for (const id of parsed.idsOfKinds([BtfKind.DATASEC, BtfKind.VAR])) patch.encodeAgain(id);
  // Its types are the spec's: frozen, so an edit cannot reach every object of the spec.
  return Btf.parse(patch.encode(), { name: parsed.name, freezeTypes: true });
}

/**
 * Freezes the spec's records and arrays (and makes its Maps refuse changes), so an edit
 * meant for one object that reaches the shared spec fails at once (a TypeError in strict
 * code) instead of leaking into every other object of the spec. Buffers cannot be frozen:
 * objects copy them before editing. The Btf is a reader: its types freeze as they are
 * decoded (`freezeTypes`); the BtfExt's records are frozen here like the rest.
 */
function freezeSpec(spec: ObjectSpec): ObjectSpec {
  const seen = new Set<object>();
  const freeze = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    if (Buffer.isBuffer(value) || value instanceof Btf) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [k, v] of value) { freeze(k); freeze(v); }
      for (const method of ['set', 'delete', 'clear'] as const) {
        Object.defineProperty(value, method, {
          value: () => { throw new TypeError(`ObjectSpec ${spec.name}: the spec is read-only; edit the object opened from it`); },
        });
      }
    } else {
      for (const v of Object.values(value)) freeze(v);
    }
    Object.freeze(value);
  };
  freeze(spec);
  return spec;
}

function pageSizeOption(pageSize: number | undefined): () => number {
  if (pageSize === undefined) return systemPageSize;
  if (!Number.isSafeInteger(pageSize) || pageSize <= 0 || (pageSize & (pageSize - 1)) !== 0) {
    throw new RangeError(`Expected "pageSize" to be a power of two, got ${String(pageSize)}`);
  }
  return () => pageSize;
}
