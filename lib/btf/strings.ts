// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The BTF string section: NUL-terminated names addressed by byte offset. For split BTF
 * the offsets continue after the base's section, so lookups below `startOff` go to the base.
 * Name lookups search the raw bytes natively and never build JS strings.
 */
import { malformed } from '../errors';
import type { LazyRange } from './progressive';

/** Bytes made real at once when a string of a lazily read section is first read. */
const NAME_WINDOW = 128;

/**
 * An ongoing search for every offset whose string equals one name. `decidedTo` grows as
 * more of a lazily read section is searched; offsets below it are known to be in `offs`
 * or not to match.
 */
export interface NameSearch {
  /** UTF-8 bytes of the name followed by one NUL. */
  needle: Uint8Array;
  /** Matching global offsets found so far, ascending. */
  offs: number[];
  /** Every global offset below this has been decided. */
  decidedTo: number;
}

/** Read access to one string section (and, through `base`, the sections below it). */
export class StringTable {
  /** Global offset of the first byte of this section (0, or base's total length). */
  readonly startOff: number;
  /** Total string bytes addressable from here, including the base. */
  readonly totalLength: number;
  private readonly end: number;

  /**
   * @param buf - blob holding the section
   * @param start - absolute offset of the section in `buf`
   * @param length - section length in bytes
   * @param base - the base BTF's table for split BTF
   * @param name - blob name for error messages
   * @param region - present when the section is still being read (base BTF only)
   * @throws BpfError (EINVAL) when the section is not NUL-terminated, or a base section
   *   does not start with the empty string
   */
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    length: number,
    readonly base: StringTable | undefined,
    private readonly name: string,
    private readonly region?: LazyRange,
  ) {
    this.startOff = base ? base.totalLength : 0;
    this.totalLength = this.startOff + length;
    this.end = start + length;
    region?.fill(start, start + 1);
    if (!base && (length === 0 || buf[start] !== 0)) {
      throw malformed(`btf ${name}: string section must start with an empty string`, { offset: start });
    }
    // A lazily read section is checked string by string in stringAt instead.
    if (!region && length > 0 && buf[this.end - 1] !== 0) {
      throw malformed(`btf ${name}: string section is not NUL-terminated`, { offset: this.end - 1 });
    }
  }

  /** Whether `off` addresses a byte of this table or its base. */
  has(off: number): boolean {
    return Number.isInteger(off) && off >= 0 && off < this.totalLength;
  }

  /**
   * Returns the string at a global offset.
   *
   * @param off - offset as stored in name_off fields
   * @param typeId - type id to name in the error, if any
   * @throws BpfError (EINVAL) when the offset is outside every string section
   */
  stringAt(off: number, typeId?: number): string {
    if (this.base && off < this.startOff) return this.base.stringAt(off, typeId);
    if (!this.has(off)) {
      throw malformed(`btf ${this.name}: string offset ${off} out of range (${this.totalLength} bytes)`, {
        typeId,
        offset: this.end,
      });
    }
    const abs = this.start + (off - this.startOff);
    // A section read in full was checked to end with a NUL when it was parsed.
    const end = this.region ? this.nulAfter(abs, typeId) : this.buf.indexOf(0, abs);
    return this.buf.toString('utf8', abs, end);
  }

  /** Finds the NUL ending the string at `abs`, reading more of a lazy section as needed. */
  private nulAfter(abs: number, typeId: number | undefined): number {
    const region = this.region;
    // Names are short: make a small window real, and widen it only for a longer string.
    let limit = region ? Math.min(this.end, abs + NAME_WINDOW) : this.end;
    for (;;) {
      region?.fill(abs, limit);
      // Searching the whole buffer is fine: the NUL is normally a few bytes away.
      const e = this.buf.indexOf(0, abs);
      if (e >= 0 && e < limit) return e;
      if (limit >= this.end) {
        throw malformed(`btf ${this.name}: string at ${abs} is not NUL-terminated`, { typeId, offset: abs });
      }
      limit = Math.min(this.end, limit + 4096);
    }
  }

  /**
   * Whether the string at a global offset is exactly `needle` (UTF-8 bytes plus a NUL),
   * reading only the bytes compared. Out-of-range offsets compare unequal.
   */
  equalsAt(off: number, needle: Uint8Array): boolean {
    if (this.base && off < this.startOff) return this.base.equalsAt(off, needle);
    if (!this.has(off)) return false;
    const abs = this.start + (off - this.startOff);
    const n = needle.length;
    if (abs + n > this.end) return false;
    this.region?.fill(abs, abs + n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) if (buf[abs + i] !== needle[i]) return false;
    return true;
  }

  /**
   * Extends a name search so that every offset up to at least `want` is decided (all of
   * them when the section is fully read). Found with a native byte search for `name\0`,
   * which also catches names sharing the tail of a longer string.
   */
  extend(s: NameSearch, want: number): void {
    if (s.decidedTo >= this.totalLength) return;
    if (this.base && s.decidedTo < this.startOff) this.base.extend(s, this.startOff);
    const needle = s.needle;
    let limit = this.end;
    const from = this.start + (Math.max(s.decidedTo, this.startOff) - this.startOff);
    if (this.region) {
      this.region.fill(from, this.start + (want - this.startOff) + needle.length);
      limit = this.region.realTo(from);
    }
    const hay = this.buf.subarray(from, limit);
    for (let p = hay.indexOf(needle); p >= 0; p = hay.indexOf(needle, p + 1)) {
      s.offs.push(this.startOff + (from - this.start) + p);
    }
    // A match starting in the last needle.length - 1 bytes could still continue past `limit`.
    const decided = limit >= this.end ? this.totalLength : this.startOff + (limit - this.start) - needle.length + 1;
    s.decidedTo = Math.max(s.decidedTo, decided);
  }

  /**
   * Every distinct string of this section (not the base's) that starts with `prefix`,
   * found by a native search for `\0prefix`, so only the matches become JS strings.
   */
  stringsWithPrefix(prefix: string): string[] {
    if (prefix === '') return [];
    this.region?.complete();
    const needle = Buffer.from(`\0${prefix}`, 'utf8');
    const hay = this.buf.subarray(this.start, this.end);
    const found = new Set<string>();
    for (let p = hay.indexOf(needle); p >= 0; p = hay.indexOf(needle, p + 1)) {
      const end = hay.indexOf(0, p + 1);
      if (end < 0) break;
      found.add(hay.toString('utf8', p + 1, end));
    }
    return [...found];
  }
}
