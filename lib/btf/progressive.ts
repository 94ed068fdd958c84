/**
 * A byte range of a blob that is read on demand, front to back. The kernel's BTF comes
 * from sysfs at one 4 KiB page per read(2), so reading all of it costs more than anything
 * a lookup does; with this, a lookup reads only as far into the type and string sections
 * as it has to.
 */

/** Reads bytes [from, to) of the source into the same range of the blob. */
export type RangeReader = (from: number, to: number) => void;

/** The filled prefix of `[start, end)` grows as `ensure` is called. */
export class Progressive {
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

  /** Reads the rest of the range. */
  complete(): void {
    this.ensure(this.end);
  }
}
