/**
 * Byte-level edits of a clang BPF object (ELF64 little-endian) for open-phase tests: section
 * headers, .symtab entries, REL records and .BTF type records are located by reading the
 * bytes directly (not through lib/elf or lib/btf, the code under test), so a test can break
 * exactly one field and see which rule refuses it.
 */
import { readFileSync } from 'node:fs';
import { fixture } from './fixtures';

export interface SectionBytes {
  index: number;
  name: string;
  /** File offset of the section header. */
  header: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

export interface SymbolBytes {
  index: number;
  name: string;
  /** File offset of the Elf64_Sym entry (24 bytes). */
  at: number;
  type: number;
  bind: number;
  shndx: number;
  value: number;
  size: number;
}

export interface RelBytes {
  /** File offset of the Elf64_Rel record (16 bytes). */
  at: number;
  /** r_offset: byte offset in the target section. */
  offset: number;
  symbol: number;
}

export interface BtfRecord {
  id: number;
  kind: number;
  vlen: number;
  name: string;
  /** File offset of the 12-byte common header (name_off, info, size/type). */
  at: number;
  /** File offset of the kind-specific words after it. */
  extra: number;
}

// Bytes after the 12-byte header: fixed per kind, plus per-vlen entries.
const FIXED: Record<number, number> = { 1: 4, 3: 12, 14: 4, 17: 4 };
const PER_VLEN: Record<number, number> = { 4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12 };

export class ObjectBytes {
  readonly buf: Buffer;

  constructor(data: Buffer) {
    this.buf = Buffer.from(data);
  }

  /** A fresh, editable copy of test/fixtures/bpf/NAME.bpf.o. */
  static fixture(name: string): ObjectBytes {
    return new ObjectBytes(readFileSync(fixture(name)));
  }

  sections(): SectionBytes[] {
    const b = this.buf;
    const shoff = Number(b.readBigUInt64LE(0x28));
    const shnum = b.readUInt16LE(0x3c);
    const shstr = Number(b.readBigUInt64LE(shoff + b.readUInt16LE(0x3e) * 64 + 24));
    return Array.from({ length: shnum }, (_, index) => {
      const header = shoff + index * 64;
      return {
        index, header, name: this.cString(shstr + b.readUInt32LE(header)),
        type: b.readUInt32LE(header + 4),
        offset: Number(b.readBigUInt64LE(header + 24)), size: Number(b.readBigUInt64LE(header + 32)),
        link: b.readUInt32LE(header + 40), info: b.readUInt32LE(header + 44),
      };
    });
  }

  section(name: string): SectionBytes {
    const s = this.sections().find((x) => x.name === name);
    if (!s) throw new Error(`no section ${name}`);
    return s;
  }

  /** Sets sh_size of a section's header. */
  setSectionSize(name: string, size: number): void {
    this.buf.writeBigUInt64LE(BigInt(size), this.section(name).header + 32);
  }

  /** Overwrites a section's name in .shstrtab in place (`to` no longer than `from`). */
  renameSection(from: string, to: string): void {
    const b = this.buf;
    const shoff = Number(b.readBigUInt64LE(0x28));
    const shstr = Number(b.readBigUInt64LE(shoff + b.readUInt16LE(0x3e) * 64 + 24));
    this.overwriteString(shstr + b.readUInt32LE(this.section(from).header), from, to);
  }

  symbols(): SymbolBytes[] {
    const symtab = this.section('.symtab');
    const sections = this.sections();
    const strtab = sections[symtab.link];
    return Array.from({ length: symtab.size / 24 }, (_, index) => {
      const at = symtab.offset + index * 24;
      const info = this.buf[at + 4];
      const own = this.cString(strtab.offset + this.buf.readUInt32LE(at));
      // clang leaves STT_SECTION symbols unnamed: they go by their section's name.
      const shndx = this.buf.readUInt16LE(at + 6);
      return {
        index, at, name: own === '' && (info & 0xf) === 3 ? (sections[shndx]?.name ?? '') : own,
        type: info & 0xf, bind: info >> 4, shndx: this.buf.readUInt16LE(at + 6),
        value: Number(this.buf.readBigUInt64LE(at + 8)), size: Number(this.buf.readBigUInt64LE(at + 16)),
      };
    });
  }

  symbol(name: string): SymbolBytes {
    const s = this.symbols().find((x) => x.name === name);
    if (!s) throw new Error(`no symbol ${name}`);
    return s;
  }

  setSymbol(name: string, f: { type?: number; bind?: number; shndx?: number; value?: number; size?: number }): void {
    const s = this.symbol(name);
    if (f.type !== undefined || f.bind !== undefined) this.buf[s.at + 4] = ((f.bind ?? s.bind) << 4) | (f.type ?? s.type);
    if (f.shndx !== undefined) this.buf.writeUInt16LE(f.shndx, s.at + 6);
    if (f.value !== undefined) this.buf.writeBigUInt64LE(BigInt(f.value), s.at + 8);
    if (f.size !== undefined) this.buf.writeBigUInt64LE(BigInt(f.size), s.at + 16);
  }

  /** Overwrites a symbol's name in .strtab in place (`to` no longer than `from`; shared tails change too). */
  renameSymbol(from: string, to: string): void {
    const s = this.symbol(from);
    const strtab = this.sections()[this.section('.symtab').link];
    this.overwriteString(strtab.offset + this.buf.readUInt32LE(s.at), from, to);
  }

  /** The records of a SHT_REL section (e.g. '.rel.text'). */
  rels(section: string): RelBytes[] {
    const s = this.section(section);
    return Array.from({ length: s.size / 16 }, (_, i) => {
      const at = s.offset + i * 16;
      return { at, offset: Number(this.buf.readBigUInt64LE(at)), symbol: Number(this.buf.readBigUInt64LE(at + 8) >> 32n) };
    });
  }

  setRel(rel: RelBytes, f: { offset?: number; symbol?: number }): void {
    if (f.offset !== undefined) this.buf.writeBigUInt64LE(BigInt(f.offset), rel.at);
    if (f.symbol !== undefined) this.buf.writeUInt32LE(f.symbol, rel.at + 12);
  }

  /** Every .BTF type record; the array index is the type id (0 is void, left undefined). */
  btf(): BtfRecord[] {
    const sec = this.section('.BTF');
    const b = this.buf;
    const hdr = sec.offset + b.readUInt32LE(sec.offset + 4);
    const typeStart = hdr + b.readUInt32LE(sec.offset + 8);
    const typeEnd = typeStart + b.readUInt32LE(sec.offset + 12);
    const strings = hdr + b.readUInt32LE(sec.offset + 16);
    const out: BtfRecord[] = [];
    for (let at = typeStart, id = 1; at < typeEnd; id++) {
      const info = b.readUInt32LE(at + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      out[id] = { id, kind, vlen, name: this.cString(strings + b.readUInt32LE(at)), at, extra: at + 12 };
      at += 12 + (FIXED[kind] ?? 0) + (PER_VLEN[kind] ?? 0) * vlen;
    }
    return out;
  }

  /** The first BTF record called `name` (of `kind` when given). */
  btfType(name: string, kind?: number): BtfRecord {
    const t = this.btf().find((r) => r !== undefined && r.name === name && (kind === undefined || r.kind === kind));
    if (!t) throw new Error(`no BTF type ${name}`);
    return t;
  }

  /**
   * Overwrites the .BTF string `from` in place with `to` (no longer) and returns its
   * name_off, for pointing a record at the new name.
   */
  renameBtfString(from: string, to: string): number {
    const sec = this.section('.BTF');
    const b = this.buf;
    const strings = sec.offset + b.readUInt32LE(sec.offset + 4) + b.readUInt32LE(sec.offset + 16);
    const end = strings + b.readUInt32LE(sec.offset + 20);
    const needle = Buffer.from(`\0${from}\0`, 'latin1');
    const at = b.indexOf(needle, strings);
    if (at < 0 || at >= end) throw new Error(`no BTF string ${from}`);
    this.overwriteString(at + 1, from, to);
    return at + 1 - strings;
  }

  /** Rewrites the kind (bits 24..28) of a BTF record's info word, keeping vlen and kind_flag. */
  setBtfKind(t: BtfRecord, kind: number): void {
    const info = this.buf.readUInt32LE(t.at + 4);
    this.buf.writeUInt32LE(((info & ~(0x1f << 24)) | (kind << 24)) >>> 0, t.at + 4);
  }

  private cString(at: number): string {
    return this.buf.toString('latin1', at, this.buf.indexOf(0, at));
  }

  private overwriteString(at: number, from: string, to: string): void {
    if (to.length > from.length) throw new Error(`${to} is longer than ${from}`);
    if (this.cString(at) !== from) throw new Error(`string at ${at} is not ${from}`);
    this.buf.fill(0, at, at + from.length);
    this.buf.write(to, at, 'latin1');
  }
}
