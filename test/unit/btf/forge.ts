/**
 * Forged kernel BTF index files for the attack tests (index-attacks, index-proof-paths).
 */
import { crc32 } from 'node:zlib';
import { recordWords } from '../../../lib/btf/type-table';

// Word indexes of the index file's header (see vmlinux-index.ts).
const H_COUNT = 14;
const H_BUCKETS = 16;
const H_ENTRIES = 17;
const H_ID_BITS = 18;
const HEADER_WORDS = 20;
export const STRIDE = 32;

/** Word offsets of every record of the blob's type section (walked independently here). */
export function recordOffsets(blob: Buffer): number[] {
  const typeStart = blob.readUInt32LE(4) + blob.readUInt32LE(8);
  const typeLen = blob.readUInt32LE(12);
  const words = new Uint32Array(blob.buffer.slice(blob.byteOffset + typeStart, blob.byteOffset + typeStart + typeLen));
  const out: number[] = [];
  for (let pos = 0; pos < words.length; pos += recordWords(words[pos + 1])) out.push(pos);
  return out;
}

/**
 * The forgery of the issue: an index that lists every id after the first block one lower,
 * with block starts moved one record on and one record fewer, so every block except the
 * first walks cleanly and every name still matches the bytes where the index points.
 */
export function shiftedByOne(good: Buffer, blob: Buffer): Buffer {
  const out = Buffer.from(good);
  const w = new Uint32Array(good.buffer.slice(good.byteOffset, good.byteOffset + good.length));
  const offsets = recordOffsets(blob);
  const count = w[H_COUNT];
  const blocks = Math.ceil(count / STRIDE);
  expect(Math.ceil((count - 1) / STRIDE)).toBe(blocks); // the layout keeps its size
  out.writeUInt32LE(count - 1, H_COUNT * 4);
  for (let k = 1; k < blocks; k++) out.writeUInt32LE(offsets[k * STRIDE + 1], (HEADER_WORDS + k) * 4);
  const entriesAt = HEADER_WORDS + blocks + w[H_BUCKETS] + 1;
  const idMask = 2 ** w[H_ID_BITS] - 1;
  for (let e = 0; e < w[H_ENTRIES]; e++) {
    const word = w[entriesAt + e];
    const id = word & idMask;
    if (id > STRIDE + 1) out.writeUInt32LE(((word & ~idMask) | (id - 1)) >>> 0, (entriesAt + e) * 4);
  }
  out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

