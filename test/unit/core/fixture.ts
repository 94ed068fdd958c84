/**
 * Test-only helpers: read the committed CO-RE fixture objects (test/fixtures/core/*.o)
 * without lib/elf — a minimal ELF64 little-endian section reader and a .BTF.ext core_relo
 * reader are enough, and keep these tests independent of the loader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '../../../lib/btf';
import type { CoreRelocation } from '../../../lib/core';

export const FIXTURES = join(__dirname, '../../fixtures/core');

/** Section name -> bytes of an ELF64 LE object. */
export function readSections(file: string): Map<string, Buffer> {
  const elf = readFileSync(file);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: elf.readUInt32LE(at),
      offset: Number(elf.readBigUInt64LE(at + 24)),
      size: Number(elf.readBigUInt64LE(at + 32)),
    };
  };
  const strtab = header(shstrndx);
  const out = new Map<string, Buffer>();
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    const start = strtab.offset + h.name;
    const name = elf.toString('latin1', start, elf.indexOf(0, start));
    out.set(name, Buffer.from(elf.subarray(h.offset, h.offset + h.size)));
  }
  return out;
}

/** Reads the core_relo block of .BTF.ext: section name -> relocations. */
export function readCoreRelos(ext: Buffer, btf: Btf): Map<string, CoreRelocation[]> {
  const hdrLen = ext.readUInt32LE(4);
  const out = new Map<string, CoreRelocation[]>();
  if (hdrLen < 32 || ext.readUInt32LE(28) === 0) return out;
  const off = ext.readUInt32LE(24);
  const len = ext.readUInt32LE(28);
  const start = hdrLen + off;
  const recSize = ext.readUInt32LE(start);
  let pos = start + 4;
  while (pos < start + len) {
    const sec = btf.stringAt(ext.readUInt32LE(pos));
    const n = ext.readUInt32LE(pos + 4);
    pos += 8;
    const list: CoreRelocation[] = [];
    for (let i = 0; i < n; i++, pos += recSize) {
      list.push({
        insnOff: ext.readUInt32LE(pos),
        typeId: ext.readUInt32LE(pos + 4),
        accessStr: btf.stringAt(ext.readUInt32LE(pos + 8)),
        kind: ext.readUInt32LE(pos + 12),
      });
    }
    out.set(sec, list);
  }
  return out;
}

/** A compiled fixture: its BTF, its CO-RE records and fresh copies of section bytes. */
export interface Fixture {
  btf: Btf;
  relos: Map<string, CoreRelocation[]>;
  /** A fresh copy of a section's bytes (tests patch it). */
  section(name: string): Buffer;
}

/** Loads test/fixtures/core/<file>. */
export function loadFixture(file: string): Fixture {
  const sections = readSections(join(FIXTURES, file));
  const raw = sections.get('.BTF');
  if (!raw) throw new Error(`${file}: no .BTF`);
  const btf = Btf.parse(raw, { name: file });
  const ext = sections.get('.BTF.ext');
  const relos = ext ? readCoreRelos(ext, btf) : new Map<string, CoreRelocation[]>();
  return {
    btf,
    relos,
    section(name) {
      const data = sections.get(name);
      if (!data) throw new Error(`${file}: no section ${name}`);
      return Buffer.from(data);
    },
  };
}

/** One decoded instruction, for assertions. */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** Decodes instruction `index` of a buffer. */
export function insnAt(insns: Buffer, index: number): Insn {
  const at = index * 8;
  return {
    code: insns[at],
    dst: insns[at + 1] & 0x0f,
    src: insns[at + 1] >> 4,
    off: insns.readInt16LE(at + 2),
    imm: insns.readInt32LE(at + 4),
  };
}

/** The 64-bit immediate of the LD_IMM64 at `index`. */
export function ldImm64At(insns: Buffer, index: number): bigint {
  const at = index * 8;
  return BigInt(insns.readUInt32LE(at + 4)) | (BigInt(insns.readUInt32LE(at + 12)) << 32n);
}

/** Byte-exact encoding of one instruction, to build synthetic programs. */
export function encodeInsn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}
