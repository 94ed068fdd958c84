// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Where each type record starts: the one pass over a type section that every parse does,
 * decoding nothing. The pass is resumable so the kernel's BTF can be scanned (and even
 * read from sysfs) only as far as a lookup needs; object BTF is scanned in one go.
 */
import { malformed } from '../errors';
import { BTF_TYPE_HEADER_SIZE, kindFlagAllowed, kindName, recordTailSize, vlenAllowed } from './kinds';
import type { LazyRange } from './progressive';
import { BtfKind } from './types';

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

/**
 * The tables above, for code that walks records elsewhere (native/file_map.cc walks the
 * kernel's BTF where it is mapped): one entry per kind, the same rules as {@link recordWords}.
 */
export const RECORD_SIZES: {
  readonly allowedInfo: Uint32Array;
  readonly fixedWords: Uint8Array;
  readonly wordsPerVlen: Uint8Array;
} = { allowedInfo: ALLOWED_INFO, fixedWords: FIXED_WORDS, wordsPerVlen: WORDS_PER_VLEN };

/**
 * Length in words of a record whose info word is `info`, or -1 when the info word is
 * invalid (unknown kind, reserved bits, kind_flag or vlen where the kind allows none).
 */
export function recordWords(info: number): number {
  const kind = (info >>> 24) & 0x1f;
  const allowed = ALLOWED_INFO[kind];
  if (allowed === 0 || (info & ~allowed) !== 0) return -1;
  return FIXED_WORDS[kind] + WORDS_PER_VLEN[kind] * (info & 0xffff);
}

/** The part of a type table that decoding and name lookups use. */
export interface RecordTable {
  /** Id of the first record. */
  readonly firstId: number;
  /** The type section as 32-bit words (`byteOffset(i)` is relative to the blob, not to this). */
  readonly words: Uint32Array;
  /** Records known so far (all of them once `done`). */
  readonly count: number;
  /** Whether every record is known. */
  readonly done: boolean;
  /** Largest record count the section could still turn out to have. */
  upperBound(): number;
  /** Makes at least `n` records known (or all). */
  ensure(n: number): void;
  /** Makes every record known. */
  finish(): void;
  /** Absolute byte offset of known record `i`, whose bytes are then real. */
  byteOffset(i: number): number;
  /** Kind of known record `i`. */
  kindAt(i: number): number;
  /** name_off of known record `i`. */
  nameOffAt(i: number): number;
}

/** Larger than any record count; a name_off limit that (almost) never stops a scan. */
const NO_STOP = 0x7fffffff;

/** Record offsets of one type section, discovered on demand. */
export class TypeTable implements RecordTable {
  /** Records found so far. */
  count = 0;
  /** Whether the whole section has been scanned. */
  done = false;

  /** The type section as 32-bit words (read directly by hot loops). */
  readonly words: Uint32Array;
  /** offsets[i] = word index of the record with id firstId + i. */
  readonly offsets: Uint32Array;
  private pos = 0;
  private avail: number;

  /**
   * @param data - the blob; `data.byteOffset + start` must be 4-byte aligned
   * @param start - absolute offset of the type section
   * @param length - its length in bytes (a multiple of 4)
   * @param firstId - id of the first record
   * @param name - blob name for errors
   * @param region - present when the section is still being read
   */
  constructor(
    data: Buffer,
    private readonly start: number,
    length: number,
    readonly firstId: number,
    private readonly name: string,
    private readonly region?: LazyRange,
  ) {
    this.words = new Uint32Array(data.buffer, data.byteOffset + start, length / 4);
    // Records are at least 3 words, which bounds this table by the input size.
    this.offsets = new Uint32Array(Math.floor(length / BTF_TYPE_HEADER_SIZE));
    this.avail = region ? Math.floor((region.realTo(start) - start) / 4) : this.words.length;
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
    // Keep arguments small integers so the JIT-compiled scan never deoptimises; a record
    // with a name_off past NO_STOP only ends one round of the loop early.
    const want = Math.min(n, NO_STOP);
    while (this.count < want && !this.done) this.ensureUntil(want, -1, NO_STOP);
  }

  /**
   * Like {@link ensure}, but also stops right after recording a record whose name_off is
   * `stopOff` or at least `stopLimit`. Name lookups use this to check names during the one
   * pass instead of walking the new records again.
   *
   * @returns true when it stopped on such a record (the last one recorded)
   * @throws BpfError (EINVAL) naming the type id and byte offset of a bad record
   */
  ensureUntil(n: number, stopOff: number, stopLimit: number): boolean {
    while (this.count < n && !this.done) {
      if (this.scan(n, stopOff, stopLimit)) return true;
      if (this.count >= n || this.done) return false;
      if (this.avail === this.words.length) this.fail();
      const region = this.region as LazyRange;
      const at = region.realTo(this.start);
      region.fill(at, at + 1);
      const real = region.realTo(this.start);
      const avail = Math.min(this.words.length, Math.floor((real - this.start) / 4));
      // A reader that makes no progress would loop forever.
      if (avail <= this.avail) throw malformed(`btf ${this.name}: type section ended early`, { offset: real });
      this.avail = avail;
    }
    return false;
  }

  /** Scans the whole section. @throws BpfError (EINVAL) for a bad record */
  finish(): void {
    this.ensure(NO_STOP);
  }

  private scan(n: number, stopOff: number, stopLimit: number): boolean {
    const w = this.words;
    const offs = this.offsets;
    const avail = this.avail;
    let pos = this.pos;
    let count = this.count;
    let stopped = false;
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
      const nameOff = w[pos];
      pos = next;
      if (nameOff === stopOff || nameOff >= stopLimit) {
        stopped = true;
        break;
      }
    }
    this.pos = pos;
    this.count = count;
    if (pos === w.length) this.done = true;
    return stopped;
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
