// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A compact index of the kernel's BTF that lets a process look names up and find records
 * without reading or scanning the 5 MB blob: where every 32nd record starts, and a hash
 * table from name to type ids. Built once per boot from a full read and cached on disk by
 * index-cache.ts; every answer it gives is checked against the real BTF before use
 * (names are compared byte for byte, record walks must land on the next recorded start).
 *
 * Layout (little-endian u32 words): a header (see the H_* constants), then
 * blockStarts[blocks], bucketStarts[buckets + 1], entries[entries] (each a type id in its
 * low `idBits` bits and the top bits of the name's hash above them), the NUL-separated
 * flavored strings padded to a word, and a CRC-32 of everything before it.
 */
import { crc32 } from '../sys';

const MAGIC = 0x58494f53; // 'SOIX'
/** Bumped whenever the layout or the hash changes. */
const VERSION = 2;

// Header word indexes.
const H_MAGIC = 0;
const H_VERSION = 1;
const H_KEY = 2; // KEY_WORDS words of IndexKey
const KEY_WORDS = 12;
const H_COUNT = H_KEY + KEY_WORDS;
const H_STRIDE = H_COUNT + 1;
const H_BUCKETS = H_STRIDE + 1;
const H_ENTRIES = H_BUCKETS + 1;
const H_ID_BITS = H_ENTRIES + 1;
const H_FLAVOR_BYTES = H_ID_BITS + 1;
const HEADER_WORDS = H_FLAVOR_BYTES + 1;

/** Records per block: a record is found by walking at most this many from a block start. */
const STRIDE = 32;
/** Average names per hash bucket (each compared by a hash tag before any byte is read). */
const PER_BUCKET = 4;

/**
 * What an index is valid for: one BTF blob of one boot. Stored as 12 words: boot id (4),
 * file size, BTF header (6) and a CRC-32 of the first and last pages. The kernel's BTF
 * cannot change while it runs, so the boot id is what really decides; the rest catches
 * a cache copied between machines or pointed at another file.
 */
export interface IndexKey {
  /** /proc/sys/kernel/random/boot_id as 16 bytes. */
  bootId: Uint8Array;
  /** Size of the BTF file in bytes. */
  fileSize: number;
  /** The first 24 bytes of the BTF (magic, version, flags, hdr_len, section offsets and lengths). */
  header: Uint8Array;
  /** CRC-32 of the file's first page, continued over its last page (see index-cache.ts). */
  edgeCrc: number;
}

/** The flavor separator CO-RE looks for (`task_struct___old`). */
const FLAVOR_SEP = Buffer.from('___');

/** FNV-1a over bytes [from, to): the index's name hash. */
export function nameHash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** A decoded index whose header and checksum were checked (tables are checked where used). */
export class VmlinuxIndex {
  private constructor(
    /** Number of type records. */
    readonly count: number,
    /** Records per block. */
    readonly stride: number,
    /** Word offset (in the type section) of record `k * stride`. */
    readonly blockStarts: Uint32Array,
    private readonly bucketStarts: Uint32Array,
    /** Per name: type id (low idBits bits) and hash tag (the hash's top 32 - idBits bits). */
    private readonly entries: Uint32Array,
    private readonly idBits: number,
    /** Distinct strings of the string section that contain `___`, in section order. */
    readonly flavored: readonly string[],
  ) {}

  /**
   * Builds the index from a fully scanned type section.
   *
   * @param words - the type section as words
   * @param offsets - word offset of each record (`count` of them)
   * @param count - number of records
   * @param firstId - id of the first record
   * @param strings - the blob holding the string section
   * @param strStart - absolute start of the string section in `strings`
   * @param strLen - its length
   */
  static build(
    words: Uint32Array, offsets: Uint32Array, count: number, firstId: number,
    strings: Buffer, strStart: number, strLen: number,
  ): VmlinuxIndex {
    const blocks = Math.ceil(count / STRIDE);
    const blockStarts = new Uint32Array(blocks);
    for (let k = 0; k < blocks; k++) blockStarts[k] = offsets[k * STRIDE];

    // Hash every named record once; nameOff 0 is the empty name, never looked up.
    const strEnd = strStart + strLen;
    const recHash = new Uint32Array(count);
    const named = new Uint8Array(count);
    let entries = 0;
    for (let i = 0; i < count; i++) {
      const nameOff = words[offsets[i]];
      if (nameOff === 0 || nameOff >= strLen) continue;
      const abs = strStart + nameOff;
      let end = strings.indexOf(0, abs);
      if (end < 0 || end > strEnd) end = strEnd;
      recHash[i] = nameHash(strings, abs, end);
      named[i] = 1;
      entries++;
    }
    let buckets = 1024;
    while (buckets * PER_BUCKET < entries) buckets *= 2;
    const mask = buckets - 1;
    // Counting sort by bucket; filling in id order keeps each bucket ascending.
    const bucketStarts = new Uint32Array(buckets + 1);
    for (let i = 0; i < count; i++) if (named[i] === 1) bucketStarts[(recHash[i] & mask) + 1]++;
    for (let b = 0; b < buckets; b++) bucketStarts[b + 1] += bucketStarts[b];
    const fill = bucketStarts.slice(0, buckets);
    const idBits = bitsFor(firstId + count);
    const packed = new Uint32Array(entries);
    for (let i = 0; i < count; i++) {
      if (named[i] === 0) continue;
      const at = fill[recHash[i] & mask]++;
      packed[at] = (((recHash[i] >>> idBits) << idBits) | (firstId + i)) >>> 0;
    }
    return new VmlinuxIndex(count, STRIDE, blockStarts, bucketStarts, packed, idBits,
      flavoredStrings(strings, strStart, strEnd));
  }

  /**
   * Decodes and checks a serialized index. Returns undefined (never throws) when it is for
   * another key, truncated, corrupt or of another version.
   *
   * @param buf - the serialized index
   * @param key - what the caller needs it to be valid for
   * @param typeWords - length of the blob's type section in words
   * @param firstId - id of the first record
   */
  static parse(buf: Buffer, key: IndexKey, typeWords: number, firstId: number): VmlinuxIndex | undefined {
    if (buf.length < (HEADER_WORDS + 1) * 4 || buf.length % 4 !== 0) return undefined;
    // Uint32Array views need an aligned offset; a pooled Buffer may not have one.
    if (buf.byteOffset % 4 !== 0) {
      const copy = Buffer.allocUnsafeSlow(buf.length);
      buf.copy(copy);
      buf = copy;
    }
    const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    if (w[H_MAGIC] !== MAGIC || w[H_VERSION] !== VERSION) return undefined;
    const want = keyWords(key);
    for (let i = 0; i < KEY_WORDS; i++) if (w[H_KEY + i] !== want[i]) return undefined;
    const count = w[H_COUNT];
    const stride = w[H_STRIDE];
    const buckets = w[H_BUCKETS];
    const entries = w[H_ENTRIES];
    const idBits = w[H_ID_BITS];
    const flavorBytes = w[H_FLAVOR_BYTES];
    if (count > typeWords / 3 || stride !== STRIDE || entries > count) return undefined;
    if (idBits !== bitsFor(firstId + count)) return undefined;
    if (buckets < 1 || buckets > 1 << 24 || (buckets & (buckets - 1)) !== 0) return undefined;
    const blocks = Math.ceil(count / stride);
    const flavorWords = Math.ceil(flavorBytes / 4);
    const total = HEADER_WORDS + blocks + buckets + 1 + entries + flavorWords + 1;
    if (flavorBytes > buf.length || w.length !== total) return undefined;
    if (crc32(buf.subarray(0, buf.length - 4)) !== w[total - 1]) return undefined;

    let at = HEADER_WORDS;
    const blockStarts = w.subarray(at, (at += blocks));
    const bucketStarts = w.subarray(at, (at += buckets + 1));
    const packed = w.subarray(at, (at += entries));
    // No pass over the tables here (that would cost more than the lookups it serves): the
    // CRC catches corruption, and each bucket, id and block is checked where it is used.
    if (blocks > 0 && blockStarts[0] !== 0) return undefined;
    if (bucketStarts[0] !== 0 || bucketStarts[buckets] !== entries) return undefined;
    const flavorBuf = buf.subarray(at * 4, at * 4 + flavorBytes);
    const flavored = flavorBytes === 0 ? [] : flavorBuf.toString('utf8').split('\0');
    if (flavored.some((s) => !s.includes('___'))) return undefined;
    return new VmlinuxIndex(count, stride, blockStarts, bucketStarts, packed, idBits, flavored);
  }

  /** Serializes the index for `key` (see the file comment for the layout). */
  serialize(key: IndexKey): Buffer {
    const blocks = this.blockStarts.length;
    const buckets = this.bucketStarts.length - 1;
    const entries = this.entries.length;
    const flavor = Buffer.from(this.flavored.join('\0'), 'utf8');
    const flavorWords = Math.ceil(flavor.length / 4);
    const total = HEADER_WORDS + blocks + buckets + 1 + entries + flavorWords + 1;
    const out = Buffer.alloc(total * 4);
    const w = new Uint32Array(out.buffer, out.byteOffset, total);
    w[H_MAGIC] = MAGIC;
    w[H_VERSION] = VERSION;
    w.set(keyWords(key), H_KEY);
    w[H_COUNT] = this.count;
    w[H_STRIDE] = this.stride;
    w[H_BUCKETS] = buckets;
    w[H_ENTRIES] = entries;
    w[H_ID_BITS] = this.idBits;
    w[H_FLAVOR_BYTES] = flavor.length;
    let at = HEADER_WORDS;
    w.set(this.blockStarts, at);
    w.set(this.bucketStarts, (at += blocks));
    w.set(this.entries, (at += buckets + 1));
    flavor.copy(out, (at += entries) * 4);
    w[total - 1] = crc32(out.subarray(0, out.length - 4));
    return out;
  }

  /**
   * Ids of the records whose name hashes to `hash`: a superset of the matches, ascending.
   * Returns undefined when the bucket is not well-formed (a corrupt index).
   */
  candidates(hash: number): number[] | undefined {
    const b = hash & (this.bucketStarts.length - 2);
    const from = this.bucketStarts[b];
    const to = this.bucketStarts[b + 1];
    const entries = this.entries;
    if (from > to || to > entries.length) return undefined;
    const shift = this.idBits;
    const tag = hash >>> shift;
    const idMask = 2 ** shift - 1;
    const found: number[] = [];
    for (let e = from; e < to; e++) {
      if (entries[e] >>> shift !== tag) continue;
      const id = entries[e] & idMask;
      if (found.length > 0 && id <= found[found.length - 1]) return undefined;
      found.push(id);
    }
    return found;
  }
}

/** Bits needed for ids below `limit` (at least 1, at most 30: ids stay far below 2^30). */
function bitsFor(limit: number): number {
  let bits = 1;
  while (bits < 30 && 2 ** bits < limit) bits++;
  return bits;
}

function keyWords(key: IndexKey): Uint32Array {
  const out = new Uint32Array(KEY_WORDS);
  const bytes = new Uint8Array(out.buffer);
  bytes.set(key.bootId.subarray(0, 16), 0);
  out[4] = key.fileSize;
  bytes.set(key.header.subarray(0, 24), 20);
  out[11] = key.edgeCrc >>> 0;
  return out;
}

/** Distinct strings in [start, end) containing `___`, in order of first occurrence. */
function flavoredStrings(buf: Buffer, start: number, end: number): string[] {
  const found = new Set<string>();
  let p = buf.indexOf(FLAVOR_SEP, start);
  while (p >= 0 && p < end) {
    const from = buf.lastIndexOf(0, p) + 1;
    let to = buf.indexOf(0, p);
    if (to < 0 || to > end) to = end;
    if (from >= start) found.add(buf.toString('utf8', from, to));
    p = buf.indexOf(FLAVOR_SEP, to + 1);
  }
  return [...found];
}
