// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Name lookups over one BTF's own records without decoding them. The string section is
 * searched natively for the offsets holding the name; records are then matched by
 * comparing their name_off integers, so no JS strings are built, and a name absent from
 * the string section costs no pass over the types at all.
 */
import type { NameSearch, StringTable } from './strings';
import type { TypeTable } from './type-table';

/** Records scanned per step while looking for a first match in a partly scanned table. */
const SCAN_STEP = 4096;
/** Up to this many records, a complete table is indexed by name_off on the first lookup. */
const SMALL_BLOB = 8192;

const utf8 = new TextEncoder();

/** Finds own type ids by name (and optionally kind, -1 = any), in id order. */
export interface NameLookup {
  /** The first own id named `name` with kind `kind`, or undefined. */
  first(name: string, kind: number): number | undefined;
  /** Every own id named `name` with kind `kind`, ascending (a fresh array). */
  all(name: string, kind: number): number[];
}

/** Finds own type ids by name (and optionally kind), in id order, scanning as needed. */
export class NameIndex implements NameLookup {
  private readonly searches = new Map<string, NameSearch>();
  /** name -> all own ids with that name, once a full pass was made for it. */
  private readonly complete = new Map<string, number[]>();
  private byOff: OffIndex | undefined;

  constructor(
    private readonly table: TypeTable,
    private readonly strings: StringTable,
  ) {}

  /**
   * Returns the first own id named `name` with kind `kind` (-1 = any), scanning (and, for
   * the kernel, reading) the type section only as far as needed.
   */
  first(name: string, kind: number): number | undefined {
    const known = this.complete.get(name);
    if (known) return known.find((id) => kind < 0 || this.kindOf(id) === kind);
    // A small, fully scanned blob (object BTF) gets the name_off index at once: one pass,
    // instead of one pass per name looked up.
    if (this.byOff || (this.table.done && this.table.count <= SMALL_BLOB)) {
      const ids = this.all(name, -1);
      return ids.find((id) => kind < 0 || this.kindOf(id) === kind);
    }
    const s = this.search(name);
    const table = this.table;
    const strings = this.strings;
    const total = strings.totalLength;
    if (s.offs.length === 0 && s.decidedTo >= total) return undefined;
    const offs = s.offs; // extend() pushes into this same array
    for (let i = 0; ; ) {
      const hit = this.check(s, kind, i, table.count);
      if (hit !== undefined) return hit;
      if ((offs.length === 0 && s.decidedTo >= total) || table.done) return undefined;
      i = table.count;
      // With at most one candidate offset the scan itself watches for it (and for names the
      // string search has not reached yet), so the new records need no second pass.
      const watch = offs.length <= 1;
      const stopped = table.ensureUntil(table.count + SCAN_STEP, watch && offs.length ? offs[0] : -1, s.decidedTo);
      if (watch) i = stopped ? table.count - 1 : table.count;
    }
  }

  /** Checks scanned records [from, to) for the name, extending the string search as needed. */
  private check(s: NameSearch, kind: number, from: number, to: number): number | undefined {
    const { words, offsets, firstId } = this.table;
    const offs = s.offs;
    for (let i = from; i < to; i++) {
      const at = offsets[i];
      const nameOff = words[at];
      if (nameOff >= s.decidedTo) {
        // Kernel strings are laid out in order of first use, so this runs a few times per lookup.
        this.strings.extend(s, nameOff);
      }
      if (offs.length !== 0 && (nameOff === offs[0] || (offs.length > 1 && offs.includes(nameOff)))) {
        if (kind < 0 || ((words[at + 1] >>> 24) & 0x1f) === kind) return firstId + i;
      }
    }
    return undefined;
  }

  /** Returns all own ids named `name` with kind `kind` (-1 = any). */
  all(name: string, kind: number): number[] {
    let ids = this.complete.get(name);
    if (!ids) {
      const s = this.search(name);
      this.strings.extend(s, this.strings.totalLength);
      ids = [];
      if (s.offs.length > 0) {
        const byOff = this.offIndex();
        for (const off of s.offs) byOff.collect(off, ids);
        if (s.offs.length > 1) ids.sort((a, b) => a - b);
        for (let i = 0; i < ids.length; i++) ids[i] += this.table.firstId;
      }
      this.complete.set(name, ids);
    }
    return kind < 0 ? ids.slice() : ids.filter((id) => this.kindOf(id) === kind);
  }

  /**
   * name_off -> records, built once with one pass over every record: after that, each
   * "all types named X" lookup costs one native string search plus a hash probe, instead
   * of a pass over ~125k kernel records per name (CO-RE asks for several names per load).
   */
  private offIndex(): OffIndex {
    if (!this.byOff) {
      this.table.finish();
      this.byOff = new OffIndex(this.table.words, this.table.offsets, this.table.count);
    }
    return this.byOff;
  }

  private kindOf(id: number): number {
    return this.table.kindAt(id - this.table.firstId);
  }

  private search(name: string): NameSearch {
    let s = this.searches.get(name);
    if (!s) {
      const bytes = utf8.encode(name);
      const needle = new Uint8Array(bytes.length + 1);
      needle.set(bytes);
      // '' names anonymous types, and a NUL can never be inside a BTF name: nothing to find.
      const hopeless = bytes.length === 0 || bytes.includes(0);
      s = { needle, offs: [], decidedTo: hopeless ? Infinity : 0 };
      this.searches.set(name, s);
    }
    return s;
  }
}

/** Open-addressing hash from a record's name_off to the chain of record indexes using it. */
class OffIndex {
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly heads: Int32Array;
  private readonly next: Int32Array;

  constructor(words: Uint32Array, offsets: Uint32Array, count: number) {
    let size = 1024;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.keys = new Uint32Array(size);
    this.heads = new Int32Array(size).fill(-1);
    this.next = new Int32Array(count).fill(-1);
    // Walk backwards so each chain lists records in ascending order.
    for (let i = count - 1; i >= 0; i--) {
      const off = words[offsets[i]];
      if (off === 0) continue; // anonymous types are never looked up by name
      const h = this.slot(off);
      if (this.heads[h] !== -1) this.next[i] = this.heads[h];
      this.keys[h] = off;
      this.heads[h] = i;
    }
  }

  /** Appends the record indexes whose name_off is `off`, ascending. */
  collect(off: number, into: number[]): void {
    const h = this.slot(off);
    for (let i = this.heads[h]; i !== -1; i = this.next[i]) into.push(i);
  }

  private slot(off: number): number {
    let h = Math.imul(off, 0x9e3779b1) >>> 0 & this.mask;
    while (this.heads[h] !== -1 && this.keys[h] !== off) h = (h + 1) & this.mask;
    return h;
  }
}
