// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Typed access to the `elfy` package (plain JavaScript, no typings). elfy decodes the
 * ELF header and section header table; this file turns its string names back into the
 * numeric SHT_* / SHF_* values the rest of the library compares against.
 */

import { BpfError, malformed } from '../errors';

/** The section header fields elfy 1.0.0 returns (64-bit values as JS numbers). */
interface ElfySection {
  /** Resolved name (elfy reads it without bounds checks; we resolve our own). */
  name: string;
  /** Lower-case SHT name ('progbits', 'symtab', ...) or the raw number if elfy has no name. */
  type: string | number;
  /** One key per set bit: a name from elfy's table or the bit's decimal value. */
  flags: Record<string, boolean>;
  off: number;
  size: number;
  link: number;
  info: number;
}

interface ElfyResult {
  body: { sections: ElfySection[] };
}

interface ElfyModule {
  parse(buf: Buffer): ElfyResult;
  constants: { sectType: Record<string, string>; sectFlags: Record<string, string> };
}

// elfy ships no types; the interfaces above describe exactly the part we read.
const elfy = require('elfy') as ElfyModule;

const sectTypeByName = invert(elfy.constants.sectType);
const sectFlagByName = invert(elfy.constants.sectFlags);

function invert(table: Record<string, string>): Map<string, number> {
  const map = new Map<string, number>();
  for (const [value, name] of Object.entries(table)) map.set(name, Number(value));
  return map;
}

/** A section header as decoded by elfy, with numeric type and flags. */
export interface DecodedSection {
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

/**
 * Runs elfy on a buffer whose headers were already validated (see header.ts) and returns
 * its section headers with numeric type and flags.
 *
 * @throws BpfError (EINVAL) wrapping anything elfy throws.
 */
export function decodeSections(data: Buffer, fileName: string): DecodedSection[] {
  let result: ElfyResult;
  try {
    result = elfy.parse(data);
  } catch (err) {
    if (err instanceof BpfError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw malformed(`${fileName}: cannot decode ELF headers: ${reason}`, { object: fileName, offset: 0, cause: err });
  }
  return result.body.sections.map((s, index) => ({
    type: sectionType(s.type, index, fileName),
    flags: flagsToNumber(s.flags),
    offset: s.off,
    size: s.size,
    link: s.link,
    info: s.info,
  }));
}

function sectionType(type: string | number, index: number, fileName: string): number {
  if (typeof type === 'number') return type;
  const value = sectTypeByName.get(type);
  // Names come from the same elfy table we inverted, so a miss means elfy changed under us.
  if (value === undefined) throw malformed(`${fileName}: section ${index}: unknown elfy section type '${type}'`, { object: fileName });
  return value;
}

function flagsToNumber(flags: Record<string, boolean>): number {
  let value = 0;
  for (const key of Object.keys(flags)) {
    // Unnamed bits come back as their decimal value; bit 31 as "-2147483648" (elfy uses int32 shifts).
    const bit = sectFlagByName.get(key) ?? Number(key);
    if (Number.isInteger(bit)) value |= bit;
  }
  return value >>> 0;
}
