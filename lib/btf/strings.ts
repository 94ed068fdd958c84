/**
 * The BTF string section: NUL-terminated names addressed by byte offset. For split BTF
 * the offsets continue after the base's section, so lookups below `startOff` go to the base.
 * Names are compared and hashed as raw bytes so lookups never build JS strings.
 */
import { malformed } from '../errors';

/** Read access to one string section (and, through `base`, the sections below it). */
export class StringTable {
  /** Global offset of the first byte of this section (0, or base's total length). */
  readonly startOff: number;
  /** Total string bytes addressable from here, including the base. */
  readonly totalLength: number;

  /**
   * @param buf - blob holding the section
   * @param start - absolute offset of the section in `buf`
   * @param length - section length in bytes
   * @param base - the base BTF's table for split BTF
   * @param name - blob name for error messages
   * @throws BpfError (EINVAL) when the section is not NUL-terminated, or a base section
   *   does not start with the empty string
   */
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly length: number,
    readonly base: StringTable | undefined,
    private readonly name: string,
  ) {
    this.startOff = base ? base.totalLength : 0;
    this.totalLength = this.startOff + length;
    if (!base && (length === 0 || buf[start] !== 0)) {
      throw malformed(`btf ${name}: string section must start with an empty string`, { offset: start });
    }
    if (length > 0 && buf[start + length - 1] !== 0) {
      throw malformed(`btf ${name}: string section is not NUL-terminated`, { offset: start + length - 1 });
    }
  }

  /**
   * Returns the string at a global offset.
   *
   * @param off - offset as stored in name_off fields
   * @param typeId - type id to name in the error, if any
   * @throws BpfError (EINVAL) when the offset is outside every string section
   */
  stringAt(off: number, typeId?: number): string {
    if (off < this.startOff) {
      // startOff > 0 implies a base exists.
      return (this.base as StringTable).stringAt(off, typeId);
    }
    const rel = off - this.startOff;
    if (!Number.isInteger(off) || rel >= this.length) {
      throw malformed(`btf ${this.name}: string offset ${off} out of range (${this.totalLength} bytes)`, {
        typeId,
        offset: this.start + Math.min(rel, this.length),
      });
    }
    const abs = this.start + rel;
    // The constructor checked the section ends in NUL, so indexOf always finds one inside it.
    const end = this.buf.indexOf(0, abs);
    return this.buf.toString('utf8', abs, end);
  }

  /** Whether `off` addresses a byte of this table or its base. */
  has(off: number): boolean {
    return off >= 0 && off < this.totalLength;
  }

  /**
   * Compares the NUL-terminated string at a global offset with `target` byte by byte.
   * Out-of-range offsets compare unequal, so lazily parsed blobs never throw here.
   */
  equals(off: number, target: Uint8Array): boolean {
    if (off < this.startOff) return this.base ? this.base.equals(off, target) : false;
    const rel = off - this.startOff;
    if (rel >= this.length) return false;
    const buf = this.buf;
    const abs = this.start + rel;
    const n = target.length;
    if (rel + n >= this.length) return false;
    for (let i = 0; i < n; i++) {
      if (buf[abs + i] !== target[i]) return false;
    }
    return buf[abs + n] === 0;
  }

  /**
   * Returns every global offset whose string equals `name` (base sections first). Found
   * with a native byte search for `name\0`, which also catches names that share the tail
   * of a longer string, so type records can then be matched by comparing integers.
   *
   * @param needle - UTF-8 bytes of the name followed by one NUL byte
   */
  findOffsets(needle: Uint8Array): number[] {
    const out = this.base ? this.base.findOffsets(needle) : [];
    const end = this.start + this.length;
    for (let p = this.buf.indexOf(needle, this.start); p >= 0 && p + needle.length <= end; ) {
      out.push(this.startOff + (p - this.start));
      p = this.buf.indexOf(needle, p + 1);
    }
    return out;
  }
}
