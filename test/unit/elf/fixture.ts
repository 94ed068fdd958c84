/**
 * Helpers for the ELF and BTF.ext unit tests: fixture loading, a .BTF string table read
 * straight from the section header (so these tests do not depend on lib/btf's parser),
 * llvm tool output when the tools are installed, and a seeded PRNG for the fuzz test.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ElfFile } from '../../../lib/elf';

/** Directory of the committed fixtures (see test/fixtures/elf/build.sh). */
export const FIXTURE_DIR = join(__dirname, '../../fixtures/elf');

/** Absolute path of a fixture file. */
export function fixturePath(name: string): string {
  return join(FIXTURE_DIR, name);
}

/** A fresh copy of a fixture, safe to mutate. */
export function loadFixture(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

/**
 * Returns a resolver for the .BTF string section, from the BTF header fields
 * (hdr_len @4, str_off @16, str_len @20). Throws a plain Error for a bad offset.
 */
export function btfStringResolver(elf: ElfFile): (off: number) => string {
  const btf = elf.section('.BTF');
  if (btf === undefined) throw new Error('fixture has no .BTF');
  const d = btf.data;
  if (d.length < 24 || d.readUInt16LE(0) !== 0xeb9f) throw new Error('bad .BTF header');
  const hdrLen = d.readUInt32LE(4);
  const strOff = d.readUInt32LE(16);
  const strLen = d.readUInt32LE(20);
  const strings = d.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  return (off: number) => {
    const end = strings.indexOf(0, off);
    if (off < 0 || off >= strings.length || end < 0) throw new Error(`string offset ${off} out of range`);
    return strings.toString('utf8', off, end);
  };
}

/** Runs a tool and returns its stdout, or undefined when the tool is not installed. */
export function runTool(tool: string, args: string[]): string | undefined {
  const result = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) return undefined;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce from the printed seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** File offset of section header `index` (64-byte Elf64_Shdr entries at e_shoff). */
export function sectionHeaderOffset(data: Buffer, index: number): number {
  return Number(data.readBigUInt64LE(40)) + index * 64;
}
