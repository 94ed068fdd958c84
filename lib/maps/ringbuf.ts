/**
 * Consumer of a BPF_MAP_TYPE_RINGBUF map: an async iterator (and a Readable stream) over
 * its records. The addon mmaps the ring's pages and waits for data with uv_poll on the map
 * fd, in the event loop's own epoll: no thread, no busy polling, any number of rings per
 * loop. Records are copied out in batches into a fresh Buffer each time, so a record handed
 * out stays valid for as long as the caller keeps it. The kernel gets a record's space back
 * only once it is consumed: when the iterator is asked for the next record (or `consume()`'s
 * callback returned, or the reader closes). Until then a program whose ring is full sees
 * its reserve fail (backpressure); no record is overwritten.
 *
 * `consumeBatch()` is the fast path: one native call copies every published record into a
 * {@link RingBatch} the reader reuses (no allocation per batch or per record) and JS walks
 * it with typed-array reads. It copies rather than handing out views of the mapping because
 * the data pages are mapped read-only: a write through such a view would kill the process.
 */
import type { Readable } from 'node:stream';
import { BpfError } from '../errors';
import { BtfKind, type DecodedValue } from '../btf';
import { BpfMapType, callRingAddon, ringAddon, type NativeRingReader } from '../sys';
import { decodeTyped } from './codec';
import type { MapResource, ResourceMap } from './resource';

/** Options of {@link BpfMap.ringBuffer}. */
export interface RingBufferOptions {
  /**
   * Decode each record as this BTF type of the object (a struct/typedef name or type id);
   * records are raw Buffers without it.
   */
  type?: string | number;
  /** Bytes copied out per batch (default 256 KiB, at least the largest record). */
  batchBytes?: number;
}

const HEADER = 8;
const DEFAULT_BATCH = 256 * 1024;

/**
 * The records of one {@link RingBufferReader.consumeBatch} call, copied out of the ring.
 * Record `i < count` is `data[offsets[i] .. offsets[i] + lengths[i])`. The reader reuses
 * one RingBatch (its buffers included) for every call: the contents are valid until the
 * callback returns; copy what you keep (`Buffer.from(batch.record(i))`).
 */
export class RingBatch {
  /** Records in this batch. */
  count = 0;
  /** The records' bytes, each padded to 8 bytes, in ring order. */
  data: Buffer;
  /**
   * `data` as 32-bit words in host byte order, the order programs write in: a record's
   * first word is `words[offsets[i] >>> 2]` (offsets are multiples of 8).
   */
  words: Uint32Array;
  /** Byte offset of each record's data in `data`. */
  readonly offsets: Uint32Array;
  /** Byte length of each record (without the 8-byte padding). */
  readonly lengths: Uint32Array;

  /** @internal */
  constructor(bytes: number) {
    // As many index slots as records of 8 bytes fit in `data` (empty records take none:
    // a batch of those ends when the slots do).
    const records = Math.ceil(bytes / HEADER);
    this.offsets = new Uint32Array(records);
    this.lengths = new Uint32Array(records);
    [this.data, this.words] = RingBatch.#buffers(bytes);
  }

  /** Record `i` as a view into `data` (valid while the batch is; allocates the view). */
  record(i: number): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new BpfError(`record ${i} is not in this batch of ${this.count}`, { code: 'ERANGE' });
    return this.data.subarray(this.offsets[i], this.offsets[i] + this.lengths[i]);
  }

  /** @internal Grows `data` to hold one record of `bytes` (its length padded to 8). */
  grow(bytes: number): void {
    [this.data, this.words] = RingBatch.#buffers(Math.max(bytes, this.data.length * 2));
  }

  // Its own ArrayBuffer: offset 0, so 8-aligned offsets into data are 8-aligned words.
  static #buffers(bytes: number): [Buffer, Uint32Array] {
    const ab = new ArrayBuffer(Math.ceil(bytes / HEADER) * HEADER);
    return [Buffer.from(ab), new Uint32Array(ab)];
  }
}

/**
 * Reads records of one ring buffer map. `for await (const r of reader)` yields them in the
 * order the programs submitted them; `break`, `return()` or `close()` end it and release
 * the mapping. Closing the map (or its object) closes the reader too. `T`: the record type;
 * `M`: the map's type (BpfMap from `map.ringBuffer()`).
 */
export class RingBufferReader<T = Buffer | DecodedValue, M extends ResourceMap = ResourceMap> implements AsyncIterableIterator<T>, MapResource {
  readonly map: M;
  #reader: NativeRingReader | undefined;
  #typeId: number;
  #batchBytes: number;
  #batch: Buffer = Buffer.alloc(0);
  #pos = 0;
  #end = 0;
  /** Ring bytes of the records handed out since the last commit. */
  #consumed = 0;
  #wake: (() => void) | undefined;
  #ringBatch: RingBatch | undefined;
  /** A consumeBatch() callback is running: its records are not released yet. */
  #inBatch = false;

  /** @internal Use {@link BpfMap.ringBuffer}. */
  constructor(map: M, options: RingBufferOptions = {}) {
    if (map.type !== BpfMapType.RINGBUF) {
      throw new BpfError(`map ${map.name} is ${map.typeName}, not RINGBUF`, { code: 'EINVAL', map: map.name });
    }
    this.map = map;
    this.#typeId = resolveRecordType(map, options.type);
    this.#batchBytes = Math.max(options.batchBytes ?? DEFAULT_BATCH, 4096);
    this.#reader = callRingAddon(`map ${map.name}: ring buffer`, (a) => a.ringbufOpen(map.handle().native));
    map.adopt(this);
  }

  get closed(): boolean {
    return this.#reader === undefined;
  }

  /**
   * The next record if one is ready, without waiting (undefined otherwise). Asking for a
   * record releases the ones returned before it to the kernel.
   */
  read(): T | undefined {
    this.#notInBatch('read()');
    this.#release();
    const raw = this.#nextRaw();
    return raw === undefined ? undefined : this.#decode(raw);
  }

  /**
   * Hands every record that is ready to `onRecord` (a view into the batch it was copied
   * into; each batch is its own Buffer, so keeping it is safe). The records are released to
   * the kernel when the next batch is read. The fast path for high rates: no promise per record.
   * @returns how many records were consumed
   */
  consume(onRecord: (record: Buffer) => void, maxRecords = Infinity): number {
    this.#notInBatch('consume()');
    this.#release();
    let n = 0;
    try {
      while (n < maxRecords) {
        const raw = this.#nextRaw();
        if (raw === undefined) break;
        onRecord(raw);
        n++;
      }
    } finally {
      // Every callback has returned: those records are consumed.
      this.#release();
    }
    return n;
  }

  /**
   * Like {@link consume} without a Buffer per record: `onRecord(batch, offset, length)`
   * gets the batch Buffer and where the record lies in it (libbpf's pointer + length).
   * The fastest path; the batch stays valid after the callback.
   * @returns how many records were consumed
   */
  consumeEach(onRecord: (batch: Buffer, offset: number, length: number) => void, maxRecords = Infinity): number {
    this.#notInBatch('consumeEach()');
    this.#release();
    let n = 0;
    try {
      while (n < maxRecords) {
        if (this.#pos >= this.#end && !this.#refill()) break;
        const batch = this.#batch;
        const len = batch.readUInt32LE(this.#pos);
        this.#consumed += batch.readUInt32LE(this.#pos + 4);
        const start = this.#pos + HEADER;
        this.#pos = start + ((len + 7) & ~7);
        onRecord(batch, start, len);
        n++;
      }
    } finally {
      this.#release();
    }
    return n;
  }

  /**
   * Hands every record that is ready to `onBatch`, a whole batch per call: the fastest path
   * (a couple of typed-array reads per record, no allocation). The {@link RingBatch} is
   * reused: valid until `onBatch` returns. A batch's records go back to the kernel only
   * after `onBatch` returned; if it throws, they stay in the ring and the next call
   * delivers them again. Calling another consuming method of this reader from `onBatch` is
   * refused (EBUSY); `close()` from it releases the batch.
   *
   * ```ts
   * reader.consumeBatch(({ count, offsets, lengths, words }) => {
   *   for (let i = 0; i < count; i++) handle(words[offsets[i] >>> 2], lengths[i]);
   * });
   * ```
   * @returns how many records were consumed
   */
  consumeBatch(onBatch: (batch: RingBatch) => void, maxRecords = Infinity): number {
    this.#notInBatch('consumeBatch()');
    const reader = this.#reader;
    if (reader === undefined) return 0;
    this.#release();
    // Records copied by the other paths but not handed out are still in the ring, right
    // after the position just committed: they come again in this batch.
    this.#pos = this.#end = 0;
    const batch = (this.#ringBatch ??= new RingBatch(this.#batchBytes));
    const what = `map ${this.map.name}: ring buffer read`;
    let n = 0;
    while (n < maxRecords) {
      const count = callRingAddon(what, (a) => a.ringbufReadBatch(reader, batch.data, batch.offsets, batch.lengths, maxRecords - n));
      if (count < 0) {
        batch.grow(-count);  // one record larger than the batch
        continue;
      }
      if (count === 0) break;
      batch.count = count;
      this.#inBatch = true;
      try {
        onBatch(batch);
      } finally {
        this.#inBatch = false;
      }
      // Closed from the callback: close() released the batch.
      if (this.#reader === undefined) return n + count;
      callRingAddon(what, (a) => a.ringbufReleaseBatch(reader));
      n += count;
    }
    return n;
  }

  /** Resolves once records are ready (or the reader closes), through uv_poll on the ring's fd. */
  async wait(): Promise<void> {
    if (this.#pos < this.#end || this.#reader === undefined) return;
    const reader = this.#reader;
    await new Promise<void>((resolve, reject) => {
      this.#wake = resolve;
      try {
        callRingAddon(`map ${this.map.name}: ring buffer wait`, (a) => a.ringbufWait(reader, (errno) => {
          this.#wake = undefined;
          if (errno !== 0) reject(new BpfError(`map ${this.map.name}: ring buffer poll failed`, { code: 'EIO', errno, map: this.map.name }));
          else resolve();
        }));
      } catch (err) {
        this.#wake = undefined;
        reject(err);
      }
    });
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#reader === undefined) return { done: true, value: undefined };
      this.#notInBatch('next()');
      // Asking for the next record means the one handed out before is consumed.
      this.#release();
      const raw = this.#nextRaw();
      if (raw !== undefined) return { done: false, value: this.#decode(raw) };
      await this.wait();
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The records as an object-mode Readable (ends when the reader closes). */
  stream(): Readable {
    // node:stream (and its ~20 internal modules) loads on first use, not with the library.
    const { Readable: ReadableStream } = require('node:stream') as typeof import('node:stream');
    return ReadableStream.from(this, { objectMode: true });
  }

  /** Stops waiting, unmaps the ring and closes the reader's fd. Idempotent. */
  close(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    this.#reader = undefined;
    // Records handed out are consumed; those copied but never handed out stay in the ring
    // for the next reader.
    callRingAddon(`map ${this.map.name}: ring buffer close`, (a) => {
      // Closing from a consumeBatch() callback: the batch was handed out, so it is consumed.
      if (this.#inBatch) a.ringbufReleaseBatch(reader);
      this.#commit(reader);
      a.ringbufClose(reader);
    });
    this.map.release(this);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The other paths read from the consumer position, which a running batch has not moved yet. */
  #notInBatch(method: string): void {
    if (this.#inBatch) {
      throw new BpfError(`map ${this.map.name}: ${method} from a consumeBatch() callback`, {
        code: 'EBUSY', map: this.map.name,
        hint: 'return from the callback first: its records are released when it returns',
      });
    }
  }

  #nextRaw(): Buffer | undefined {
    if (this.#pos >= this.#end && !this.#refill()) return undefined;
    const len = this.#batch.readUInt32LE(this.#pos);
    this.#consumed += this.#batch.readUInt32LE(this.#pos + 4);
    const start = this.#pos + HEADER;
    this.#pos = start + Math.ceil(len / 8) * 8;
    return this.#batch.subarray(start, start + len);
  }

  /** Releases what was handed out, then copies the next batch; false when the ring is empty. */
  #refill(): boolean {
    const reader = this.#reader;
    if (reader === undefined) return false;
    return callRingAddon(`map ${this.map.name}: ring buffer read`, (a) => {
      this.#commit(reader);
      for (;;) {
        const batch = Buffer.allocUnsafe(this.#batchBytes);
        const n = a.ringbufRead(reader, batch, Number.MAX_SAFE_INTEGER);
        if (n < 0) {
          this.#batchBytes = -n;  // one record larger than a batch: grow to fit it
          continue;
        }
        this.#batch = batch;
        this.#pos = 0;
        this.#end = n;
        return n > 0;
      }
    });
  }

  #release(): void {
    if (this.#consumed !== 0 && this.#reader !== undefined) this.#commit(this.#reader);
  }

  /** Gives the kernel back the space of every record handed out so far. */
  #commit(reader: NativeRingReader): void {
    if (this.#consumed === 0) return;
    ringAddon().ringbufCommit(reader, this.#consumed);
    this.#consumed = 0;
  }

  #decode(raw: Buffer): T {
    return (this.#typeId === 0 ? raw : decodeTyped(this.map.btf, this.#typeId, raw)) as T;
  }
}

function resolveRecordType(map: ResourceMap, type: string | number | undefined): number {
  if (type === undefined) return 0;
  const btf = map.btf;
  if (!btf) throw new BpfError(`map ${map.name}: no object BTF to decode records with`, { code: 'EINVAL', map: map.name });
  if (typeof type === 'number') {
    btf.typeById(type);
    return type;
  }
  const name = type.replace(/^struct\s+/, '');
  const t = btf.findByName(name, BtfKind.STRUCT) ?? btf.findByName(name, BtfKind.TYPEDEF) ?? btf.findByName(name);
  if (!t) throw new BpfError(`map ${map.name}: the object has no BTF type ${type}`, { code: 'ENOENT', map: map.name });
  return t.id;
}
