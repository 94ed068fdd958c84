// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The cwnd samples the demo's controller streams through its ring buffer (`cwnd_ring`,
 * records of `struct cwnd_sample`), collected while the transfer runs. The library's
 * reader waits in the event loop (uv_poll), so the records are taken as they come, between
 * the transfer's own socket events.
 */
import { BpfError, type BpfObject, type RingBufferReader } from '../index';
import type { Point } from './chart';

/** The ring buffer map of demo_cc.bpf.c and the BTF type of its records. */
export const CWND_RING = 'cwnd_ring';
const CWND_RECORD = 'cwnd_sample';

/** One record as the program wrote it. */
export interface CwndSample {
  ns: bigint;
  cwnd: number;
  ssthresh: number;
}

/** A record as the reader decodes it through the object's BTF (integers as number or bigint). */
type CwndRecord = Record<keyof CwndSample, number | bigint>;

/** The program's own count of what it put into the ring (its .bss counters). */
export interface RingCounts {
  /** Samples taken: records asked of the ring. */
  taken: number;
  /** Of those, reserves that failed (the ring was full). */
  reserveFailures: number;
}

/** Time between checks while waiting for the last records of a finished transfer. */
const SETTLE_POLL_MS = 20;

export class CwndFeed {
  readonly #samples: CwndSample[] = [];
  readonly #reader: RingBufferReader<CwndRecord>;
  #error: unknown;

  /**
   * Starts reading (open it before registering: no record is missed).
   * @throws {BpfError} ENOENT when the object has no `cwnd_ring` (not the demo's object)
   */
  constructor(obj: BpfObject) {
    const ring = obj.maps.get(CWND_RING);
    if (!ring) throw new BpfError(`the demo object has no ring buffer map ${CWND_RING}`, { code: 'ENOENT', map: CWND_RING });
    const reader = ring.ringBuffer<CwndRecord>({ type: CWND_RECORD });
    this.#reader = reader;
    // Ends when close() closes the reader.
    void (async () => {
      for await (const record of reader) this.#add(record);
    })().catch((err: unknown) => {
      this.#error ??= err;
    });
  }

  /** Records received so far. */
  get count(): number {
    return this.#samples.length;
  }

  /** The samples as chart points: x in ms since the first sample, y the cwnd. */
  points(): Point[] {
    if (this.#samples.length === 0) return [];
    const t0 = this.#samples[0].ns;
    return this.#samples.map((s) => ({ x: Number(s.ns - t0) / 1e6, y: s.cwnd }));
  }

  /** The samples, oldest first. */
  samples(): readonly CwndSample[] {
    return this.#samples;
  }

  /**
   * Once the programs stopped sampling: takes every record left in the ring, until the
   * count received matches the program's (`counts`, read again each round: a sample counted
   * on another CPU may not be submitted yet) or `timeoutMs` passed.
   * @returns the counts the last round compared with
   * @throws the reader's error, if reading failed on the way
   */
  async settle(counts: () => RingCounts, timeoutMs: number): Promise<RingCounts> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Counters first: whatever they count was reserved before this drain looks.
      const c = counts();
      for (let r = this.#reader.read(); r !== undefined; r = this.#reader.read()) this.#add(r);
      if (this.#error !== undefined) throw this.#error;
      if (this.#samples.length === c.taken - c.reserveFailures || Date.now() >= deadline) return c;
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
    }
  }

  /** Stops reading and releases the ring's mapping. Idempotent. */
  close(): void {
    this.#reader.close();
  }

  #add(v: CwndRecord): void {
    this.#samples.push({ ns: BigInt(v.ns), cwnd: Number(v.cwnd), ssthresh: Number(v.ssthresh) });
  }
}
