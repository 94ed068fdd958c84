// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Rebuilds a BTF blob after the fix-ups libbpf applies before BPF_BTF_LOAD (DATASEC
 * sizes, VAR linkage, the dummy ksym VAR). The original string section is kept byte for
 * byte, because .BTF.ext records point into it by offset; new strings are appended.
 */
import { malformed } from '../errors';
import type { Btf } from './btf';
import { encodedSize, writeType } from './encode';
import { BTF_HEADER_SIZE, parseHeader, writeHeader } from './header';
import { BtfKind, type BtfType } from './types';

/** `Omit` applied to each member of a union (plain `Omit` would merge the union). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A mutable copy of a BTF that encodes back to a blob.
 *
 * Names are the source of truth when encoding: a type or member whose `name` differs from
 * the string at its `nameOff` gets a new (or existing, deduplicated) offset, and `nameOff`
 * is updated in place.
 *
 * @example
 * const b = new BtfBuilder(btf);
 * const sec = b.types[id]; if (sec.kind === BtfKind.DATASEC) sec.size = 64;
 * const blob = b.encode();
 */
export class BtfBuilder {
  /** Types by id; index 0 is void. Mutate in place or append with {@link addType}. */
  readonly types: BtfType[];

  private strings: Buffer;
  private strLen: number;
  private dedup: Map<string, number> | undefined;

  /**
   * Copies the own types (deeply) and the string section of `from`.
   *
   * @throws BpfError (EINVAL) for split BTF (ids would not start at 1) or a malformed record
   */
  constructor(from: Btf) {
    if (from.base) throw malformed(`btf ${from.name}: cannot rebuild split BTF`);
    const hdr = parseHeader(from.raw, from.name);
    this.strLen = hdr.strLen;
    this.strings = Buffer.alloc(Math.max(64, hdr.strLen * 2));
    from.raw.copy(this.strings, 0, hdr.strStart, hdr.strStart + hdr.strLen);
    this.types = [{ id: 0, kind: BtfKind.UNKN, nameOff: 0, name: '' }];
    for (const t of from.types()) this.types.push(structuredClone(t));
  }

  /**
   * Returns the offset of `s` in the string section, appending it if it is not there yet.
   *
   * @throws BpfError (EINVAL) when `s` contains a NUL byte
   */
  addString(s: string): number {
    if (s === '') return 0;
    if (s.includes('\0')) throw malformed(`btf encode: string ${JSON.stringify(s)} contains NUL`);
    const dedup = this.dedupMap();
    const known = dedup.get(s);
    if (known !== undefined) return known;
    const bytes = Buffer.from(s, 'utf8');
    this.reserve(bytes.length + 1);
    const off = this.strLen;
    bytes.copy(this.strings, off);
    this.strings[off + bytes.length] = 0;
    this.strLen += bytes.length + 1;
    dedup.set(s, off);
    return off;
  }

  /**
   * Appends a type and returns its id. `nameOff` may be 0: the name is resolved on encode.
   * References to other types are not checked until the kernel loads the blob.
   */
  addType(t: DistributiveOmit<BtfType, 'id'>): number {
    const id = this.types.length;
    this.types.push({ ...structuredClone(t), id } as BtfType);
    return id;
  }

  /**
   * Encodes header, types and strings into a blob ready for BPF_BTF_LOAD.
   *
   * @throws BpfError (EINVAL, typeId set) for a type whose fields do not fit the encoding
   *   or whose id does not match its index
   */
  encode(): Buffer {
    const types = this.types;
    let typeLen = 0;
    for (let id = 1; id < types.length; id++) {
      const t = types[id];
      if (t.id !== id) throw malformed(`btf encode: types[${id}] has id ${t.id}`, { typeId: id });
      typeLen += encodedSize(t);
    }
    // Names must be resolved (possibly adding strings) before the string length is known.
    const nameOf = (name: string, nameOff: number): number => this.nameOffFor(name, nameOff);
    const typeBuf = Buffer.alloc(typeLen);
    let pos = 0;
    for (let id = 1; id < types.length; id++) pos = writeType(typeBuf, pos, types[id], nameOf);
    this.syncNameOffs();
    const out = Buffer.alloc(BTF_HEADER_SIZE + typeLen + this.strLen);
    writeHeader(out, typeLen, this.strLen);
    typeBuf.copy(out, BTF_HEADER_SIZE);
    this.strings.copy(out, BTF_HEADER_SIZE + typeLen, 0, this.strLen);
    return out;
  }

  private nameOffFor(name: string, nameOff: number): number {
    if (this.stringEquals(nameOff, name)) return nameOff;
    return this.addString(name);
  }

  /** Writes back resolved offsets so `nameOff` describes the blob just encoded. */
  private syncNameOffs(): void {
    for (const t of this.types) {
      if (t.kind === BtfKind.UNKN) continue;
      t.nameOff = this.nameOffFor(t.name, t.nameOff);
      if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
        for (const m of t.members) m.nameOff = this.nameOffFor(m.name, m.nameOff);
      } else if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
        for (const v of t.values) v.nameOff = this.nameOffFor(v.name, v.nameOff);
      } else if (t.kind === BtfKind.FUNC_PROTO) {
        for (const q of t.params) q.nameOff = this.nameOffFor(q.name, q.nameOff);
      }
    }
  }

  private stringEquals(off: number, name: string): boolean {
    if (!Number.isInteger(off) || off < 0 || off >= this.strLen) return false;
    const end = this.strings.indexOf(0, off);
    if (end < 0 || end >= this.strLen) return false;
    return this.strings.toString('utf8', off, end) === name;
  }

  private dedupMap(): Map<string, number> {
    if (!this.dedup) {
      // Built on first use so a pure round trip never pays for it; first occurrence wins.
      const map = new Map<string, number>();
      let off = 0;
      while (off < this.strLen) {
        let end = this.strings.indexOf(0, off);
        if (end < 0 || end >= this.strLen) end = this.strLen;
        const s = this.strings.toString('utf8', off, end);
        if (s !== '' && !map.has(s)) map.set(s, off);
        off = end + 1;
      }
      this.dedup = map;
    }
    return this.dedup;
  }

  private reserve(extra: number): void {
    if (this.strLen + extra <= this.strings.length) return;
    const grown = Buffer.alloc(Math.max(this.strings.length * 2, this.strLen + extra));
    this.strings.copy(grown, 0, 0, this.strLen);
    this.strings = grown;
  }
}
