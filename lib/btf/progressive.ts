// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Byte ranges of a blob that are read on demand. The kernel's BTF comes from sysfs at one
 * 4 KiB page per read(2), so reading all of it costs more than anything a lookup does:
 * with these, a lookup reads only the part of the type and string sections it needs,
 * either front to back ({@link Progressive}) or page by page (see paged-file.ts).
 */

/** Reads bytes [from, to) of the source into the same range of the blob. */
export type RangeReader = (from: number, to: number) => void;

/** A range `[start, end)` of a blob whose bytes become real as they are asked for. */
export interface LazyRange {
  /** Absolute start of the range. */
  readonly start: number;
  /** Absolute end of the range. */
  readonly end: number;
  /** Makes sure bytes [from, to) (clamped to the range) hold real data. */
  fill(from: number, to: number): void;
  /** End of the real data that starts at `from` (at most `end`; `from` when there is none). */
  realTo(from: number): number;
  /** Reads the rest of the range. */
  complete(): void;
}

/** A range whose filled prefix grows as `ensure` is called. */
export class Progressive implements LazyRange {
  /** Absolute end of the prefix that holds real data. */
  filled: number;

  /**
   * @param start - absolute start of the range
   * @param end - absolute end of the range
   * @param read - fills a sub-range
   * @param chunk - minimum bytes read per call, so a byte-by-byte caller stays cheap
   */
  constructor(
    readonly start: number,
    readonly end: number,
    private readonly read: RangeReader,
    private readonly chunk: number,
  ) {
    this.filled = start;
  }

  /** Makes sure bytes before `want` (clamped to the range) hold real data. */
  ensure(want: number): void {
    if (want <= this.filled || this.filled >= this.end) return;
    const to = Math.min(this.end, Math.max(want, this.filled + this.chunk));
    this.read(this.filled, to);
    this.filled = to;
  }

  fill(_from: number, to: number): void {
    this.ensure(to);
  }

  realTo(from: number): number {
    return from < this.filled ? this.filled : from;
  }

  complete(): void {
    this.ensure(this.end);
  }
}
