/** Rates per second of counters between two readings. */
import type { Leaf } from './counters';

/** A leaf with its rate since the previous reading (integers only; undefined for the first). */
export interface Row extends Leaf {
  rate?: number;
}

/** Remembers the previous reading of each leaf to compute rates per second. */
export class RateTracker {
  #previous = new Map<string, { value: number | bigint; atMs: number }>();

  /** Rows for `leaves` read at `atMs` (a monotonic clock in ms). */
  update(leaves: Leaf[], atMs: number): Row[] {
    const rows: Row[] = [];
    const next = new Map<string, { value: number | bigint; atMs: number }>();
    for (const leaf of leaves) {
      const key = `${leaf.group}\0${leaf.name}`;
      const { value } = leaf;
      if (typeof value !== 'number' && typeof value !== 'bigint') {
        rows.push(leaf);
        continue;
      }
      const before = this.#previous.get(key);
      let rate: number | undefined;
      if (before && atMs > before.atMs && typeof before.value === typeof value) {
        const delta = typeof value === 'bigint' ? Number(value - (before.value as bigint)) : value - (before.value as number);
        rate = (delta * 1000) / (atMs - before.atMs);
      }
      next.set(key, { value, atMs });
      rows.push(rate === undefined ? leaf : { ...leaf, rate });
    }
    this.#previous = next;
    return rows;
  }
}
