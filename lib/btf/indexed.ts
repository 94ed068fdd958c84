// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Records and name lookups of the kernel's BTF through a {@link VmlinuxIndex}: records are
 * found by walking from the nearest recorded block start, names through the index's hash
 * table, and only the pages holding what is compared or decoded are read. Whatever the
 * index says is checked against the real bytes first, so a wrong index can make a lookup
 * fail but never return a wrong type.
 */
import { BpfError } from '../errors';
import type { NameLookup } from './name-index';
import type { LazyRange } from './progressive';
import type { StringTable } from './strings';
import { recordWords, type RecordTable } from './type-table';
import { nameHash, type VmlinuxIndex } from './vmlinux-index';

const utf8 = new TextEncoder();

/** Called when the real BTF contradicts the index (the caller drops its cached copy). */
export type StaleIndexHandler = () => void;

/** Every record of a type section, located through the index's block starts. */
export class IndexedTable implements RecordTable {
  readonly count: number;
  readonly done = true;
  /** The type section as words. */
  readonly words: Uint32Array;
  private readonly offsets: Uint32Array;
  private readonly walked: Uint8Array;
  private readonly shift: number;

  /**
   * @param data - the blob; `data.byteOffset + start` must be 4-byte aligned
   * @param start - absolute offset of the type section
   * @param length - its length in bytes
   * @param firstId - id of the first record
   * @param name - blob name for errors
   * @param region - reads the section on demand
   * @param index - the checked index for this blob
   * @param onStale - told before an error about an index that disagrees with the blob
   */
  constructor(
    data: Buffer,
    private readonly start: number,
    length: number,
    readonly firstId: number,
    private readonly name: string,
    private readonly region: LazyRange,
    private readonly index: VmlinuxIndex,
    private readonly onStale: StaleIndexHandler,
  ) {
    this.words = new Uint32Array(data.buffer, data.byteOffset + start, length / 4);
    this.count = index.count;
    this.offsets = new Uint32Array(index.count);
    this.walked = new Uint8Array(index.blockStarts.length);
    this.shift = Math.log2(index.stride);
  }

  upperBound(): number {
    return this.count;
  }

  ensure(): void {}

  finish(): void {}

  byteOffset(i: number): number {
    const at = this.locate(i);
    const end = at + recordWords(this.words[at + 1]);
    this.region.fill(this.start + at * 4, this.start + end * 4);
    return this.start + at * 4;
  }

  kindAt(i: number): number {
    return (this.words[this.locate(i) + 1] >>> 24) & 0x1f;
  }

  nameOffAt(i: number): number {
    return this.words[this.locate(i)];
  }

  /** Word offset of record `i`; walks (and reads) its block the first time. */
  private locate(i: number): number {
    const k = i >>> this.shift;
    if (this.walked[k] === 0) this.walk(k);
    return this.offsets[i];
  }

  /**
   * Records the offsets of block `k`'s records. The walk must end exactly where the next
   * block (or the section) starts; anything else means the index is not for these bytes.
   */
  private walk(k: number): void {
    const { words, index } = this;
    const stride = index.stride;
    const first = k * stride;
    const past = Math.min(this.count, first + stride);
    const last = k + 1 === index.blockStarts.length;
    const end = last ? words.length : index.blockStarts[k + 1];
    let pos = index.blockStarts[k];
    this.region.fill(this.start + pos * 4, this.start + end * 4);
    for (let i = first; i < past; i++) {
      if (pos + 3 > end) break;
      const size = recordWords(words[pos + 1]);
      // The kernel checked its own BTF: a bad record here means the index points astray.
      if (size < 0) this.stale(`type ${this.firstId + i} at ${this.start + pos * 4} has an invalid info word`);
      this.offsets[i] = pos;
      pos += size;
    }
    if (pos !== end) this.stale(`block ${k} of type records does not end at ${end * 4}`);
    this.walked[k] = 1;
  }

  private stale(what: string): never {
    this.onStale();
    throw new BpfError(`btf ${this.name}: cached name index does not match the blob (${what})`, {
      code: 'ESTALE',
      hint: 'the index cache was removed; run again to rebuild it',
    });
  }

  /** @internal Reports an index that contradicts itself or the blob (see {@link IndexedNames}). */
  staleIndex(what: string): never {
    return this.stale(what);
  }
}

/** Name lookups through the index's hash table, each hit checked byte for byte. */
export class IndexedNames implements NameLookup {
  private readonly byName = new Map<string, number[]>();

  constructor(
    private readonly table: IndexedTable | RecordTable,
    private readonly strings: StringTable,
    private readonly index: VmlinuxIndex,
  ) {}

  first(name: string, kind: number): number | undefined {
    const ids = this.lookup(name);
    return ids.find((id) => kind < 0 || this.table.kindAt(id - this.table.firstId) === kind);
  }

  all(name: string, kind: number): number[] {
    const ids = this.lookup(name);
    return kind < 0 ? ids.slice() : ids.filter((id) => this.table.kindAt(id - this.table.firstId) === kind);
  }

  /** All own ids named `name`, ascending. */
  private lookup(name: string): number[] {
    let ids = this.byName.get(name);
    if (ids !== undefined) return ids;
    ids = [];
    const bytes = utf8.encode(name);
    // '' names anonymous types, and a NUL can never be inside a BTF name: nothing to find.
    if (bytes.length > 0 && !bytes.includes(0)) {
      const needle = new Uint8Array(bytes.length + 1);
      needle.set(bytes);
      const { table, strings } = this;
      const candidates = this.index.candidates(nameHash(bytes, 0, bytes.length));
      if (candidates === undefined) this.corrupt(`hash bucket of '${name}' is malformed`);
      for (const id of candidates) {
        const i = id - table.firstId;
        if (!(i >= 0 && i < table.count)) this.corrupt(`type id ${id} out of range`);
        if (strings.equalsAt(table.nameOffAt(i), needle)) ids.push(id);
      }
    }
    this.byName.set(name, ids);
    return ids;
  }

  private corrupt(what: string): never {
    const table = this.table;
    if (table instanceof IndexedTable) table.staleIndex(what);
    // An index built in this process from the blob itself cannot disagree with it.
    throw new Error(`btf name index: ${what}`);
  }
}
