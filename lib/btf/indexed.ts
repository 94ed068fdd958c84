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
import { nameHash, VmlinuxIndex } from './vmlinux-index';

const utf8 = new TextEncoder();

/**
 * Called when the real BTF contradicts the index, with an index rebuilt from the real bytes
 * (the caller drops its cached copy and may store the new one).
 */
export type StaleIndexHandler = (rebuilt: VmlinuxIndex) => void;

/**
 * Walks index blocks fromBlock..toBlock where the blob lies (native code on a mapping of
 * it, lib/sys/file-map.ts) with the same rules as {@link IndexedTable}'s own walk, and
 * returns the first block that disagrees, or -1. The proof then costs no copy of the
 * blocks into JavaScript: for a kfunc's id that is ~3 MB of kernel BTF per cold process.
 */
export type BlockCheck = (fromBlock: number, toBlock: number) => number;

/**
 * Every record of a type section, located through the index's block starts.
 *
 * Ids are proven, not trusted: block k is used only after blocks 0..k-1 were walked (here,
 * or where the blob is mapped by a {@link BlockCheck}) and each ended exactly where the next
 * one starts (block 0 starts at 0). So the record this
 * table calls id N really is the N-th record of the blob, and a shifted or forged index
 * cannot make a name resolve to a neighbour's id. When a walk disagrees, the index is
 * rebuilt from the blob itself, the caller is told (it drops or replaces the cached file),
 * and the lookup is answered from the rebuilt index.
 */
export class IndexedTable implements RecordTable {
  count: number;
  readonly done = true;
  /** The type section as words. */
  readonly words: Uint32Array;
  private offsets: Uint32Array;
  /** Blocks 0..verified-1 are proven to chain from the start of the section. */
  private verified = 0;
  /** Per block: 1 once its records' offsets are in `offsets` (walked here, not only proven). */
  private walked: Uint8Array;
  private readonly shift: number;
  private current: VmlinuxIndex;

  /**
   * @param data - the blob; `data.byteOffset + start` must be 4-byte aligned
   * @param start - absolute offset of the type section
   * @param length - its length in bytes
   * @param firstId - id of the first record
   * @param name - blob name for errors
   * @param region - reads the section on demand
   * @param strings - reads the string section on demand (for a rebuild)
   * @param index - the checked index for this blob
   * @param onStale - told when the index disagrees with the blob, with the rebuilt index
   * @param checkBlocks - proves blocks where the blob lies; without it they are read and walked here
   */
  constructor(
    private readonly data: Buffer,
    private readonly start: number,
    length: number,
    readonly firstId: number,
    private readonly name: string,
    private readonly region: LazyRange,
    private readonly strings: LazyRange,
    index: VmlinuxIndex,
    private readonly onStale: StaleIndexHandler,
    private checkBlocks?: BlockCheck,
  ) {
    this.words = new Uint32Array(data.buffer, data.byteOffset + start, length / 4);
    this.current = index;
    this.count = index.count;
    this.offsets = new Uint32Array(index.count);
    this.walked = new Uint8Array(index.blockStarts.length);
    this.shift = Math.log2(index.stride);
  }

  /** The index answers come from (replaced when the blob contradicted the cached one). */
  get index(): VmlinuxIndex {
    return this.current;
  }

  /** The count is the index's claim until every block is proven: allow what the section could hold. */
  upperBound(): number {
    return this.verified === this.current.blockStarts.length ? this.count : Math.max(this.count, Math.floor(this.words.length / 3));
  }

  /** Asked for more records than the index lists: prove the count (or rebuild). */
  ensure(n: number): void {
    if (n > this.count) this.finish();
  }

  /** Proves every block start, and so the record count (reads the whole type section). */
  finish(): void {
    const blocks = this.current.blockStarts.length;
    if (blocks > 0) this.prove(blocks - 1);
    else if (this.words.length !== 0) this.rebuild('an empty index for a non-empty type section');
  }

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

  /** Word offset of record `i`, once the blocks up to its own are proven. */
  private locate(i: number): number {
    const k = i >>> this.shift;
    if (k >= this.verified) this.prove(k);
    // Proven where the blob lies: this block's offsets are still to be walked here.
    if (this.walked[k] === 0) {
      const problem = this.walk(k);
      if (problem !== undefined) this.rebuild(problem);
    }
    return this.offsets[i];
  }

  /** Proves blocks verified..k in order; rebuilds the index on the first that disagrees. */
  private prove(k: number): void {
    if (this.checkBlocks !== undefined && this.verified <= k) {
      let bad: number;
      try {
        bad = this.checkBlocks(this.verified, k);
      } catch {
        // The native walk refused its arguments: prove here instead, from now on.
        bad = Number.NaN;
        this.checkBlocks = undefined;
      }
      if (bad === -1) {
        this.verified = k + 1;
        return;
      }
      if (Number.isInteger(bad) && bad >= this.verified && bad <= k) {
        // Blocks before `bad` chain; this block's own walk says why it does not.
        this.verified = bad;
        this.rebuild(this.walk(bad) ?? `block ${bad}: the walk on the mapping and the walk here disagree`);
        return;
      }
      this.checkBlocks = undefined;
    }
    // One read for every block to walk, instead of one per block (hundreds for a high id);
    // walk() checks the bounds, this only clamps them.
    const starts = this.current.blockStarts;
    if (this.verified <= k && this.verified < starts.length) {
      const from = starts[this.verified];
      const to = k + 1 < starts.length ? starts[k + 1] : this.words.length;
      if (from < to && to <= this.words.length) this.region.fill(this.start + from * 4, this.start + to * 4);
    }
    while (this.verified <= k) {
      const problem = this.walk(this.verified);
      if (problem !== undefined) {
        this.rebuild(problem);
        return;
      }
      this.verified++;
    }
  }

  /**
   * Records the offsets of block `k`'s records, starting where block k-1 ended. Returns why
   * the walk does not end exactly where the next block (or the section) starts, if it does not.
   */
  private walk(k: number): string | undefined {
    const { words, current: index } = this;
    const stride = index.stride;
    const first = k * stride;
    const past = Math.min(this.count, first + stride);
    const last = k + 1 === index.blockStarts.length;
    const end = last ? words.length : index.blockStarts[k + 1];
    let pos = index.blockStarts[k];
    if (k === 0 && pos !== 0) return 'block 0 does not start at 0';
    if (!(end >= pos && end <= words.length)) return `block ${k} ends outside the type section`;
    this.region.fill(this.start + pos * 4, this.start + end * 4);
    for (let i = first; i < past; i++) {
      if (pos + 3 > end) return `block ${k} is shorter than ${stride} records`;
      const size = recordWords(words[pos + 1]);
      // The kernel checked its own BTF: a bad record here means the index points astray.
      if (size < 0) return `type ${this.firstId + i} at ${this.start + pos * 4} has an invalid info word`;
      this.offsets[i] = pos;
      pos += size;
    }
    if (pos !== end) return `block ${k} of type records does not end at ${end * 4}`;
    this.walked[k] = 1;
    return undefined;
  }

  /**
   * Replaces the index with one built from the blob (reading all of it), so the answer
   * being computed, and every later one, comes from the real bytes.
   */
  private rebuild(why: string): void {
    this.region.complete();
    this.strings.complete();
    const { words } = this;
    const offsets: number[] = [];
    for (let pos = 0; pos < words.length;) {
      const size = pos + 3 <= words.length ? recordWords(words[pos + 1]) : -1;
      if (size < 0 || pos + size > words.length) {
        throw new BpfError(`btf ${this.name}: malformed type record at ${this.start + pos * 4} (${why})`, {
          code: 'EINVAL',
          offset: this.start + pos * 4,
        });
      }
      offsets.push(pos);
      pos += size;
    }
    const all = Uint32Array.from(offsets);
    const rebuilt = VmlinuxIndex.build(words, all, all.length, this.firstId, this.data, this.strings.start,
      this.strings.end - this.strings.start);
    this.current = rebuilt;
    this.count = rebuilt.count;
    this.offsets = all;
    this.verified = rebuilt.blockStarts.length;
    this.walked = new Uint8Array(rebuilt.blockStarts.length).fill(1);
    this.onStale(rebuilt);
  }

  /** @internal Reports an index that contradicts itself (see {@link IndexedNames}); rebuilds it. */
  staleIndex(what: string): void {
    this.rebuild(what);
  }
}

/**
 * Name lookups through the index's hash table. Each hit is checked byte for byte against
 * the real name of a record whose id the table proved (see {@link IndexedTable}), so a
 * wrong index can make a name resolve to nothing it lists, never to another record.
 */
export class IndexedNames implements NameLookup {
  private readonly byName = new Map<string, number[]>();
  private answeredBy: VmlinuxIndex;

  constructor(
    private readonly table: IndexedTable | RecordTable,
    private readonly strings: StringTable,
    private readonly own: VmlinuxIndex,
  ) {
    this.answeredBy = this.index;
  }

  /** The table's current index (it replaces a cached one the blob contradicted). */
  private get index(): VmlinuxIndex {
    return this.table instanceof IndexedTable ? this.table.index : this.own;
  }

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
    if (this.answeredBy !== this.index) {
      this.byName.clear();
      this.answeredBy = this.index;
    }
    let ids = this.byName.get(name);
    if (ids !== undefined) return ids;
    // A rebuild (at most one: the rebuilt index is the blob's own) restarts the lookup.
    for (let attempt = 0; ; attempt++) {
      const index = this.index;
      ids = this.scan(name, index);
      if (index === this.index) break;
      if (attempt > 0) throw new Error(`btf name index: rebuilt index for '${name}' changed again`);
    }
    this.answeredBy = this.index;
    this.byName.set(name, ids);
    return ids;
  }

  /** The ids `index` lists for `name` whose real name is `name`; stops early on a rebuild. */
  private scan(name: string, index: VmlinuxIndex): number[] {
    const ids: number[] = [];
    const bytes = utf8.encode(name);
    // '' names anonymous types, and a NUL can never be inside a BTF name: nothing to find.
    if (bytes.length === 0 || bytes.includes(0)) return ids;
    const needle = new Uint8Array(bytes.length + 1);
    needle.set(bytes);
    const { table, strings } = this;
    const candidates = index.candidates(nameHash(bytes, 0, bytes.length));
    if (candidates === undefined) return this.corrupt(`hash bucket of '${name}' is malformed`);
    for (const id of candidates) {
      const i = id - table.firstId;
      if (!(i >= 0 && i < table.count)) return this.corrupt(`type id ${id} out of range`);
      const nameOff = table.nameOffAt(i);
      if (index !== this.index) return [];
      if (strings.equalsAt(nameOff, needle)) ids.push(id);
    }
    return ids;
  }

  private corrupt(what: string): number[] {
    const table = this.table;
    if (table instanceof IndexedTable) {
      table.staleIndex(what);
      return [];
    }
    // An index built in this process from the blob itself cannot disagree with it.
    throw new Error(`btf name index: ${what}`);
  }
}
