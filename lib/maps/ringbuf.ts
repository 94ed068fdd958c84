/**
 * Consumer of a BPF_MAP_TYPE_RINGBUF map: an async iterator (and a Readable stream) over
 * its records. The addon mmaps the ring's pages and waits for data with uv_poll on the map
 * fd, in the event loop's own epoll: no thread, no busy polling, any number of rings per
 * loop. Records are copied out in batches into a fresh Buffer each time, so a record handed
 * out stays valid for as long as the caller keeps it. The kernel gets a record's space back
 * only once it is consumed: when the iterator is asked for the next record (or `consume()`'s
 * callback returned, or the reader closes). Until then a program whose ring is full sees
 * its reserve fail (backpressure); no record is overwritten.
 */
import { Readable } from 'node:stream';
import { BpfError } from '../errors';
import { BtfKind } from '../btf';
import type { DecodedValue } from '../object/decode';
import { BpfMapType } from '../sys';
import { native, ringAddon, type NativeRingReader } from '../sys/map-ring';
import { decodeTyped } from './codec';
import type { BpfMap, MapResource } from './map';

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
 * Reads records of one ring buffer map. `for await (const r of reader)` yields them in the
 * order the programs submitted them; `break`, `return()` or `close()` end it and release
 * the mapping. Closing the map (or its object) closes the reader too.
 */
export class RingBufferReader<T = Buffer | DecodedValue> implements AsyncIterableIterator<T>, MapResource {
  readonly map: BpfMap;
  #reader: NativeRingReader | undefined;
  #typeId: number;
  #batchBytes: number;
  #batch: Buffer = Buffer.alloc(0);
  #pos = 0;
  #end = 0;
  /** Ring bytes of the records handed out since the last commit. */
  #consumed = 0;
  #wake: (() => void) | undefined;

  /** @internal Use {@link BpfMap.ringBuffer}. */
  constructor(map: BpfMap, options: RingBufferOptions = {}) {
    if (map.type !== BpfMapType.RINGBUF) {
      throw new BpfError(`map ${map.name} is ${map.typeName}, not RINGBUF`, { code: 'EINVAL', map: map.name });
    }
    this.map = map;
    this.#typeId = resolveRecordType(map, options.type);
    this.#batchBytes = Math.max(options.batchBytes ?? DEFAULT_BATCH, 4096);
    this.#reader = native(`map ${map.name}: ring buffer`, (a) => a.ringbufOpen(map.handle().native));
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

  /** Resolves once records are ready (or the reader closes), through uv_poll on the ring's fd. */
  async wait(): Promise<void> {
    if (this.#pos < this.#end || this.#reader === undefined) return;
    const reader = this.#reader;
    await new Promise<void>((resolve, reject) => {
      this.#wake = resolve;
      try {
        native(`map ${this.map.name}: ring buffer wait`, (a) => a.ringbufWait(reader, (errno) => {
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
    return Readable.from(this, { objectMode: true });
  }

  /** Stops waiting, unmaps the ring and closes the reader's fd. Idempotent. */
  close(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    this.#reader = undefined;
    // Records handed out are consumed; those copied but never handed out stay in the ring
    // for the next reader.
    native(`map ${this.map.name}: ring buffer close`, (a) => {
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
    return native(`map ${this.map.name}: ring buffer read`, (a) => {
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

function resolveRecordType(map: BpfMap, type: string | number | undefined): number {
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
