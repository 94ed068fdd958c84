/**
 * Name lookups over one BTF's own records without decoding them. The string section is
 * searched natively for the name's offsets first; records are then matched by comparing
 * their name_off integers, so no JS strings are built and a name that is not in the
 * string section costs no pass over the types at all.
 */
import type { StringTable } from './strings';
import type { TypeTable } from './type-table';

/** Records scanned per step while looking for a first match in a partly scanned table. */
const SCAN_STEP = 4096;

const utf8 = new TextEncoder();

/** Finds own type ids by name (and optionally kind), in id order. */
export class NameIndex {
  /** name -> string offsets equal to it (own and base sections). */
  private readonly targets = new Map<string, number[]>();
  /** name -> all own ids with that name, once a full pass was made for it. */
  private readonly complete = new Map<string, number[]>();

  constructor(
    private readonly table: TypeTable,
    private readonly strings: StringTable,
  ) {}

  /**
   * Returns the first own id named `name` with kind `kind` (-1 = any), scanning the table
   * only as far as needed.
   */
  first(name: string, kind: number): number | undefined {
    const known = this.complete.get(name);
    if (known) return known.find((id) => kind < 0 || this.kindOf(id) === kind);
    const offs = this.offsetsOf(name);
    if (offs.length === 0) return undefined;
    const table = this.table;
    for (let from = 0; ; ) {
      const hit = this.match(offs, kind, from, table.count, true)[0];
      if (hit !== undefined) return hit;
      if (table.done) return undefined;
      from = table.count;
      table.ensure(table.count + SCAN_STEP);
    }
  }

  /** Returns all own ids named `name` with kind `kind` (-1 = any). */
  all(name: string, kind: number): number[] {
    let ids = this.complete.get(name);
    if (!ids) {
      const offs = this.offsetsOf(name);
      if (offs.length > 0) this.table.finish();
      ids = offs.length === 0 ? [] : this.match(offs, -1, 0, this.table.count, false);
      this.complete.set(name, ids);
    }
    return kind < 0 ? ids.slice() : ids.filter((id) => this.kindOf(id) === kind);
  }

  private kindOf(id: number): number {
    return this.table.kindAt(id - this.table.firstId);
  }

  private offsetsOf(name: string): number[] {
    let offs = this.targets.get(name);
    if (!offs) {
      const bytes = utf8.encode(name);
      // '' names anonymous types, and a NUL can never be inside a BTF name.
      if (bytes.length === 0 || bytes.includes(0)) {
        offs = [];
      } else {
        const needle = new Uint8Array(bytes.length + 1);
        needle.set(bytes);
        offs = this.strings.findOffsets(needle);
      }
      this.targets.set(name, offs);
    }
    return offs;
  }

  private match(offs: number[], kind: number, from: number, to: number, firstOnly: boolean): number[] {
    const table = this.table;
    const out: number[] = [];
    if (offs.length === 1) {
      // The common case (deduplicated kernel strings): one integer compare per record.
      const want = offs[0];
      for (let i = from; i < to; i++) {
        if (table.nameOffAt(i) === want && (kind < 0 || table.kindAt(i) === kind)) {
          out.push(table.firstId + i);
          if (firstOnly) break;
        }
      }
      return out;
    }
    const set = new Set(offs);
    for (let i = from; i < to; i++) {
      if (set.has(table.nameOffAt(i)) && (kind < 0 || table.kindAt(i) === kind)) {
        out.push(table.firstId + i);
        if (firstOnly) break;
      }
    }
    return out;
  }
}
