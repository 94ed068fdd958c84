/**
 * Where each type record starts: the one pass over a type section that every parse does,
 * decoding nothing. The pass is resumable so the kernel's BTF can be scanned (and even
 * read from sysfs) only as far as a lookup needs; object BTF is scanned in one go.
 */
import { malformed } from '../errors';
import { BTF_TYPE_HEADER_SIZE, kindFlagAllowed, kindName, recordTailSize, vlenAllowed } from './kinds';
import { BtfKind } from './types';

/**
 * Makes more of the type section available: fills the blob at least up to absolute byte
 * offset `want` (or to the end of the type section) and returns the end of the filled range.
 */
export type Filler = (want: number) => number;

/** Bytes requested per fill when a scan outruns what has been read. */
const FILL_CHUNK = 256 * 1024;

// Per-kind tables, in 32-bit words, so the hot loop needs no switch.
const ALLOWED_INFO = new Uint32Array(32);
const FIXED_WORDS = new Uint8Array(32);
const WORDS_PER_VLEN = new Uint8Array(32);
for (let k = 1; k <= BtfKind.ENUM64; k++) {
  const kind = k as BtfKind;
  ALLOWED_INFO[k] = ((k << 24) | (kindFlagAllowed(kind) ? 0x80000000 : 0) | (vlenAllowed(kind) ? 0xffff : 0)) >>> 0;
  const fixed = recordTailSize(kind, 0);
  FIXED_WORDS[k] = (BTF_TYPE_HEADER_SIZE + fixed) / 4;
  WORDS_PER_VLEN[k] = (recordTailSize(kind, 1) - fixed) / 4;
}

/** Record offsets of one type section, discovered on demand. */
export class TypeTable {
  /** Records found so far. */
  count = 0;
  /** Whether the whole section has been scanned. */
  done = false;

  private readonly words: Uint32Array;
  private readonly offsets: Uint32Array;
  private pos = 0;
  private avail: number;

  /**
   * @param data - the blob; `data.byteOffset + start` must be 4-byte aligned
   * @param start - absolute offset of the type section
   * @param length - its length in bytes (a multiple of 4)
   * @param firstId - id of the first record
   * @param name - blob name for errors
   * @param fill - supplies unread parts of the section; absent when `data` is complete
   */
  constructor(
    data: Buffer,
    private readonly start: number,
    length: number,
    readonly firstId: number,
    private readonly name: string,
    private readonly fill?: Filler,
  ) {
    this.words = new Uint32Array(data.buffer, data.byteOffset + start, length / 4);
    // Records are at least 3 words, which bounds this table by the input size.
    this.offsets = new Uint32Array(Math.floor(length / BTF_TYPE_HEADER_SIZE));
    this.avail = fill ? 0 : this.words.length;
  }

  /** Absolute byte offset of record `i` (which must have been scanned). */
  byteOffset(i: number): number {
    return this.start + this.offsets[i] * 4;
  }

  /** name_off of record `i`. */
  nameOffAt(i: number): number {
    return this.words[this.offsets[i]];
  }

  /** Kind of record `i`. */
  kindAt(i: number): number {
    return (this.words[this.offsets[i] + 1] >>> 24) & 0x1f;
  }

  /** Largest record count the section could still turn out to have. */
  upperBound(): number {
    return this.done ? this.count : this.count + Math.floor((this.words.length - this.pos) / 3);
  }

  /**
   * Scans until at least `n` records are known or the section ends.
   *
   * @throws BpfError (EINVAL) naming the type id and byte offset of a bad record
   */
  ensure(n: number): void {
    while (this.count < n && !this.done) {
      this.scan(n);
      if (this.count >= n || this.done) return;
      if (this.avail === this.words.length) this.fail();
      const filled = (this.fill as Filler)(this.start + this.avail * 4 + FILL_CHUNK);
      const avail = Math.min(this.words.length, Math.floor((filled - this.start) / 4));
      // A filler that makes no progress would loop forever (e.g. the file shrank under us).
      if (avail <= this.avail) throw malformed(`btf ${this.name}: type section ended early`, { offset: filled });
      this.avail = avail;
    }
  }

  /** Scans the whole section. @throws BpfError (EINVAL) for a bad record */
  finish(): void {
    this.ensure(Infinity);
  }

  private scan(n: number): void {
    const w = this.words;
    const offs = this.offsets;
    const avail = this.avail;
    let pos = this.pos;
    let count = this.count;
    while (count < n && pos + 3 <= avail) {
      const info = w[pos + 1];
      const kind = (info >>> 24) & 0x1f;
      const allowed = ALLOWED_INFO[kind];
      if (allowed === 0 || (info & ~allowed) !== 0) {
        this.pos = pos;
        this.count = count;
        this.badInfo(info);
      }
      const next = pos + FIXED_WORDS[kind] + WORDS_PER_VLEN[kind] * (info & 0xffff);
      if (next > avail) break;
      offs[count++] = pos;
      pos = next;
    }
    this.pos = pos;
    this.count = count;
    if (pos === w.length) this.done = true;
  }

  /** Reports why the record at `pos` cannot be scanned (only called when the data is complete). */
  private fail(): never {
    const id = this.firstId + this.count;
    const off = this.start + this.pos * 4;
    const left = (this.words.length - this.pos) * 4;
    if (left < BTF_TYPE_HEADER_SIZE) {
      throw malformed(`btf ${this.name}: type ${id} truncated (${left} bytes left)`, { typeId: id, offset: off });
    }
    const info = this.words[this.pos + 1];
    const kind = ((info >>> 24) & 0x1f) as BtfKind;
    throw malformed(
      `btf ${this.name}: type ${id} (${kindName(kind)}, vlen ${info & 0xffff}) runs past the end of the type section`,
      { typeId: id, offset: off },
    );
  }

  private badInfo(info: number): never {
    const id = this.firstId + this.count;
    const off = this.start + this.pos * 4 + 4;
    const kind = ((info >>> 24) & 0x1f) as BtfKind;
    const ctx = { typeId: id, offset: off };
    const what = `btf ${this.name}: type ${id}`;
    if (ALLOWED_INFO[kind] === 0) throw malformed(`${what} has unknown kind ${kind}`, ctx);
    if ((info & 0x60ff0000) !== 0) throw malformed(`${what} has reserved info bits set (0x${info.toString(16)})`, ctx);
    if (info >= 0x80000000 && !kindFlagAllowed(kind)) throw malformed(`${what} (${kindName(kind)}) must not set kind_flag`, ctx);
    throw malformed(`${what} (${kindName(kind)}) must have vlen 0`, ctx);
  }
}
