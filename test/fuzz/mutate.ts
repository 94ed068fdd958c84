/** Deterministic input mutators for the fuzz targets (xorshift PRNG, seedable). */

export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }

  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

/** A byte range worth mutating more often (e.g. the .BTF section of a seed). */
export interface Hotspot {
  start: number;
  end: number;
}

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 4096];

/**
 * Returns a mutated copy of `seed`: 1-4 stacked mutations (bit flips, random bytes,
 * interesting 32-bit values at aligned offsets, truncation, insertion, deletion, or a
 * splice from `other`), biased towards `hotspots`.
 */
export function mutate(seed: Buffer, rng: Rng, hotspots: Hotspot[], other?: Buffer): Buffer {
  let buf = Buffer.from(seed);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds && buf.length > 0; r++) {
    const spot = hotspots.length > 0 && rng.below(3) > 0 ? hotspots[rng.below(hotspots.length)] : { start: 0, end: buf.length };
    const lo = Math.min(spot.start, buf.length - 1);
    const hi = Math.max(lo + 1, Math.min(spot.end, buf.length));
    const at = lo + rng.below(hi - lo);
    switch (rng.below(8)) {
      case 0:
        buf[at] ^= 1 << rng.below(8);
        break;
      case 1:
        buf[at] = rng.below(256);
        break;
      case 2: {
        const aligned = at & ~3;
        if (aligned + 4 <= buf.length) buf.writeUInt32LE(INTERESTING_32[rng.below(INTERESTING_32.length)] >>> 0, aligned);
        break;
      }
      case 3:
        buf = buf.subarray(0, at);
        break;
      case 4: {
        const n = 1 + rng.below(16);
        const ins = Buffer.alloc(n);
        for (let i = 0; i < n; i++) ins[i] = rng.below(256);
        buf = Buffer.concat([buf.subarray(0, at), ins, buf.subarray(at)]);
        break;
      }
      case 5:
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + 1 + rng.below(16)))]);
        break;
      case 6: {
        if (!other || other.length === 0) break;
        const from = rng.below(other.length);
        const n = Math.min(1 + rng.below(64), other.length - from, buf.length - at);
        other.copy(buf, at, from, from + n);
        break;
      }
      default: {
        // A small signed delta on a 32-bit field: counts and offsets off by a little.
        const aligned = at & ~3;
        if (aligned + 4 <= buf.length) buf.writeInt32LE((buf.readInt32LE(aligned) + rng.below(9) - 4) | 0, aligned);
      }
    }
  }
  return buf;
}
