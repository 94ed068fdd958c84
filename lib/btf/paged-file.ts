// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Random access to a file read on demand, a 4 KiB page at a time: the kernel's BTF when a
 * name index tells where everything is, so a lookup reads a few dozen pages of sysfs
 * instead of all 5 MB (sysfs serves that file one page per read(2)). When the file is
 * mapped (Linux 6.16+), each missing run of pages is one copy from the mapping instead.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { BpfError } from '../errors';
import type { FileMap } from '../sys';
import type { LazyRange } from './progressive';

const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;

/**
 * One file, mirrored into a Buffer of its size whose pages are read on first use. The fd
 * stays open only until the current synchronous job ends (a microtask, so before any
 * promise awaited across that job settles: `await obj.load(); obj.close()` leaves no
 * descriptor even when the load never waits for the libuv pool), so bursts of reads share
 * one open(2) and a cached, half-read file never holds a descriptor.
 */
export class PagedFile {
  /** The file's bytes; only pages that were filled hold real data. */
  readonly data: Buffer;
  private readonly present: Uint8Array;
  private fd = -1;
  private readonly release = (): void => {
    const fd = this.fd;
    this.fd = -1;
    if (fd >= 0) closeSync(fd);
  };

  /**
   * @param path - the file (opened read-only on demand)
   * @param data - a Buffer of the file's size, `byteOffset` 4-byte aligned; its first
   *   `prefix` bytes are already real
   * @param prefix - bytes of `data` already read from the file (whole pages only count)
   * @param mapped - the same file mapped, to copy pages from instead of reading them
   */
  constructor(
    readonly path: string,
    data: Buffer,
    prefix: number,
    private readonly mapped?: FileMap,
  ) {
    this.data = data;
    this.present = new Uint8Array((data.length + PAGE - 1) >>> PAGE_SHIFT);
    const whole = prefix >= data.length ? this.present.length : prefix >>> PAGE_SHIFT;
    this.present.fill(1, 0, whole);
  }

  /**
   * Makes bytes [from, to) real, reading each missing run of pages with pread.
   *
   * @throws BpfError (EIO) when the file is shorter than it was; Node's errors for I/O failures
   */
  fill(from: number, to: number): void {
    const present = this.present;
    if (from < 0) from = 0;
    if (to > this.data.length) to = this.data.length;
    if (from >= to) return;
    let p = from >>> PAGE_SHIFT;
    const last = (to - 1) >>> PAGE_SHIFT;
    while (p <= last) {
      if (present[p] === 1) {
        p++;
        continue;
      }
      let q = p + 1;
      while (q <= last && present[q] === 0) q++;
      this.readPages(p, q);
      present.fill(1, p, q);
      p = q;
    }
  }

  /** End of the real bytes starting at `from` (`from` itself when its page was never read). */
  realTo(from: number): number {
    const present = this.present;
    let p = from >>> PAGE_SHIFT;
    while (p < present.length && present[p] === 1) p++;
    return Math.max(from, Math.min(this.data.length, p << PAGE_SHIFT));
  }

  /** Reads every page not yet read. */
  complete(): void {
    this.fill(0, this.data.length);
  }

  /** A view of [start, end) usable as a BTF section region. */
  range(start: number, end: number): LazyRange {
    return new PagedRange(this, start, end);
  }

  private readPages(first: number, past: number): void {
    const data = this.data;
    const end = Math.min(data.length, past << PAGE_SHIFT);
    let pos = first << PAGE_SHIFT;
    if (this.mapped !== undefined) {
      this.mapped.copy(data, pos, pos, end - pos);
      return;
    }
    if (this.fd < 0) {
      this.fd = openSync(this.path, 'r');
      queueMicrotask(this.release);
    }
    while (pos < end) {
      const n = readSync(this.fd, data, pos, end - pos, pos);
      if (n <= 0) {
        throw new BpfError(`kernel btf ${this.path}: unexpected end of file at ${pos}`, { code: 'EIO', offset: pos });
      }
      pos += n;
    }
  }
}

/** A section of a {@link PagedFile}. */
class PagedRange implements LazyRange {
  constructor(
    private readonly file: PagedFile,
    readonly start: number,
    readonly end: number,
  ) {}

  fill(from: number, to: number): void {
    this.file.fill(Math.max(from, this.start), Math.min(to, this.end));
  }

  realTo(from: number): number {
    return Math.min(this.end, this.file.realTo(from));
  }

  complete(): void {
    this.file.fill(this.start, this.end);
  }
}
