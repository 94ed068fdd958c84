// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Copy-on-write edits of a parsed BTF blob. Where {@link BtfBuilder} copies every type
 * and encodes all of them again, a patch copies only the types it is asked to change and
 * encodes the blob by copying the original bytes around them: for a loader that changes a
 * dozen of several hundred types before BPF_BTF_LOAD, that is most of the work saved. The
 * original string section is kept byte for byte; new strings are appended.
 */
import { malformed } from '../errors';
import type { Btf } from './btf';
import type { DistributiveOmit } from './builder';
import { encodedSize, writeType } from './encode';
import { BTF_HEADER_SIZE, parseHeader, writeHeader } from './header';
import { recordWords } from './type-table';
import type { BtfType } from './types';

/**
 * Edits of one parsed, non-split BTF. Reading through {@link type} sees the edits; the
 * parsed Btf itself is never changed.
 *
 * @example
 * const p = new BtfPatch(btf);
 * const sec = p.edit(id); if (sec.kind === BtfKind.DATASEC) sec.size = 64;
 * const blob = p.encode();
 */
export class BtfPatch {
  private readonly raw: Buffer;
  private readonly typeStart: number;
  private readonly typeLen: number;
  private readonly strStart: number;
  private readonly strLen: number;
  private readonly edits = new Map<number, BtfType>();
  /** Original types encoded from their parsed (not copied) form; see encodeAgain. */
  private readonly reparsed = new Set<number>();
  private readonly added: BtfType[] = [];
  private readonly firstAdded: number;
  /** Appended strings, NUL-terminated, starting at offset strLen. */
  private extra: Buffer = Buffer.alloc(64);
  private extraLen = 0;
  private readonly extraOffs = new Map<string, number>();

  /**
   * @param from - the BTF to edit (its bytes are read, never written)
   * @throws BpfError (EINVAL) for split BTF (ids would not start at 1)
   */
  constructor(private readonly from: Btf) {
    if (from.base) throw malformed(`btf ${from.name}: cannot patch split BTF`);
    this.raw = from.raw;
    const hdr = parseHeader(this.raw, from.name);
    this.typeStart = hdr.typeStart;
    this.typeLen = hdr.typeLen;
    this.strStart = hdr.strStart;
    this.strLen = hdr.strLen;
    this.firstAdded = from.typeCount;
  }

  /** Highest id + 1, added types included. */
  get typeCount(): number {
    return this.firstAdded + this.added.length;
  }

  /**
   * The type with this id as it will be encoded: an edited copy, an added type, or the
   * parsed one (shared: do not change it, call {@link edit}).
   *
   * @throws BpfError (EINVAL) for an id out of range
   */
  type(id: number): BtfType {
    if (id >= this.firstAdded && id < this.typeCount) return this.added[id - this.firstAdded];
    return this.edits.get(id) ?? this.from.typeById(id);
  }

  /**
   * A private, mutable copy of type `id`, made on the first call and encoded in place of
   * the original (added types are returned as they are). Names are the source of truth:
   * a changed `name` gets a string offset of its own when encoded.
   *
   * @throws BpfError (EINVAL) for void or an id out of range
   */
  edit(id: number): BtfType {
    if (id >= this.firstAdded && id < this.typeCount) return this.added[id - this.firstAdded];
    let t = this.edits.get(id);
    if (t === undefined) {
      if (id === 0) throw malformed(`btf ${this.from.name}: cannot edit void`);
      t = structuredClone(this.from.typeById(id));
      this.edits.set(id, t);
      this.reparsed.delete(id);
    }
    return t;
  }

  /**
   * Puts a type of possibly another kind in place of type `id` (the id stays: references
   * to it keep pointing at the replacement). Used by the sanitizer, which rewrites kinds an
   * older kernel does not know into kinds it does.
   *
   * @throws BpfError (EINVAL) for void or an id out of range
   */
  replace(id: number, t: DistributiveOmit<BtfType, 'id'>): void {
    const copy = { ...structuredClone(t), id } as BtfType;
    if (id >= this.firstAdded && id < this.typeCount) {
      this.added[id - this.firstAdded] = copy;
      return;
    }
    if (id === 0) throw malformed(`btf ${this.from.name}: cannot replace void`);
    this.from.typeById(id);
    this.edits.set(id, copy);
    this.reparsed.delete(id);
  }

  /** Ids of the types added with {@link addType}, ascending. */
  addedIds(): number[] {
    return this.added.map((t) => t.id);
  }

  /**
   * Encodes type `id` from its parsed form instead of copying its original bytes: for a
   * type its parser's caller changed in place (the loader's open phase fills in DATASEC and
   * VAR fields that clang leaves zero). A later {@link edit} still makes a private copy.
   */
  encodeAgain(id: number): void {
    if (id === 0 || id >= this.firstAdded) throw malformed(`btf ${this.from.name}: type id ${id} is not an original type`);
    if (!this.edits.has(id)) this.reparsed.add(id);
  }

  /** Appends a type and returns its id. `nameOff` may be 0: the name is resolved on encode. */
  addType(t: DistributiveOmit<BtfType, 'id'>): number {
    const id = this.typeCount;
    this.added.push({ ...structuredClone(t), id } as BtfType);
    return id;
  }

  /**
   * Returns the offset of `s` in the string section (the first whole-string occurrence),
   * appending it if it is not there yet.
   *
   * @throws BpfError (EINVAL) when `s` contains a NUL byte
   */
  addString(s: string): number {
    if (s === '') return 0;
    if (s.includes('\0')) throw malformed(`btf encode: string ${JSON.stringify(s)} contains NUL`);
    const known = this.extraOffs.get(s);
    if (known !== undefined) return known;
    const bytes = Buffer.from(`\0${s}\0`, 'utf8');
    const end = this.strStart + this.strLen;
    const at = this.raw.indexOf(bytes, this.strStart);
    if (at >= 0 && at + bytes.length <= end) return at - this.strStart + 1;
    const len = bytes.length - 1;
    if (this.extraLen + len > this.extra.length) {
      const grown = Buffer.alloc(Math.max(this.extra.length * 2, this.extraLen + len));
      this.extra.copy(grown, 0, 0, this.extraLen);
      this.extra = grown;
    }
    bytes.copy(this.extra, this.extraLen, 1);
    const off = this.strLen + this.extraLen;
    this.extraLen += len;
    this.extraOffs.set(s, off);
    return off;
  }

  /**
   * Encodes header, types and strings into a blob ready for BPF_BTF_LOAD: the original
   * records with edited ones rewritten in place, then the added types.
   *
   * @throws BpfError (EINVAL, typeId set) for a type whose fields do not fit the encoding
   */
  encode(): Buffer {
    const raw = this.raw;
    const ids = [...this.edits.keys(), ...this.reparsed].sort((a, b) => a - b);
    const spans: { t: BtfType; off: number; oldSize: number }[] = [];
    let typeLen = this.typeLen;
    for (const id of ids) {
      const t = this.edits.get(id) ?? this.from.typeById(id);
      const off = this.from.recordOffset(id);
      const oldSize = recordWords(raw.readUInt32LE(off + 4)) * 4;
      spans.push({ t, off, oldSize });
      typeLen += encodedSize(t) - oldSize;
    }
    for (const t of this.added) typeLen += encodedSize(t);

    const nameOf = (name: string, nameOff: number): number => (this.stringIs(nameOff, name) ? nameOff : this.addString(name));
    const types = Buffer.alloc(typeLen);
    let pos = 0;
    let prev = this.typeStart;
    for (const { t, off, oldSize } of spans) {
      pos += raw.copy(types, pos, prev, off);
      pos = writeType(types, pos, t, nameOf);
      prev = off + oldSize;
    }
    pos += raw.copy(types, pos, prev, this.typeStart + this.typeLen);
    for (const t of this.added) pos = writeType(types, pos, t, nameOf);

    const strLen = this.strLen + this.extraLen;
    const out = Buffer.alloc(BTF_HEADER_SIZE + typeLen + strLen);
    writeHeader(out, typeLen, strLen);
    types.copy(out, BTF_HEADER_SIZE);
    raw.copy(out, BTF_HEADER_SIZE + typeLen, this.strStart, this.strStart + this.strLen);
    this.extra.copy(out, BTF_HEADER_SIZE + typeLen + this.strLen, 0, this.extraLen);
    return out;
  }

  /** Whether the string at `off` (original or appended) is `name`. */
  private stringIs(off: number, name: string): boolean {
    if (!Number.isInteger(off) || off < 0) return false;
    if (off < this.strLen) return this.from.stringAt(off) === name;
    return this.extraOffs.get(name) === off;
  }
}
