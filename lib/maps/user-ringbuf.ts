/**
 * Producer side of a BPF_MAP_TYPE_USER_RINGBUF map: user space submits records that a
 * program drains with bpf_user_ringbuf_drain(). The addon mmaps the producer page and data
 * read-write (the consumer page read-only) and writes each record with its header and the
 * producer position stored with release, as the kernel reads them with acquire.
 */
import { BpfError } from '../errors';
import { BpfMapType, callRingAddon, type NativeRingWriter } from '../sys';
import { encodeTyped, type MapInput } from './codec';
import type { MapResource, ResourceMap } from './resource';

const ENOSPC = 28;
const E2BIG = 7;

/** Writes records into one user ring buffer map; closes with its map. `M`: the map's type (BpfMap from `map.userRingBuffer()`). */
export class UserRingBuffer<M extends ResourceMap = ResourceMap> implements MapResource {
  readonly map: M;
  #writer: NativeRingWriter | undefined;

  /** @internal Use {@link BpfMap.userRingBuffer}. */
  constructor(map: M) {
    if (map.type !== BpfMapType.USER_RINGBUF) {
      throw new BpfError(`map ${map.name} is ${map.typeName}, not USER_RINGBUF`, { code: 'EINVAL', map: map.name });
    }
    this.map = map;
    this.#writer = callRingAddon(`map ${map.name}: user ring buffer`, (a) => a.userRingbufOpen(map.handle().native));
    map.adopt(this);
  }

  /**
   * Submits one record; false when the ring has no room for it now (the program has not
   * drained it yet).
   * @throws {BpfError} E2BIG for a record larger than the ring; EBADF after close()
   */
  trySubmit(data: Buffer): boolean {
    const writer = this.#writer;
    if (writer === undefined) throw new BpfError(`map ${this.map.name}: user ring buffer is closed`, { code: 'EBADF', map: this.map.name });
    const rc = callRingAddon(`map ${this.map.name}: user ring buffer submit`, (a) => a.userRingbufSubmit(writer, data));
    if (rc === -ENOSPC) return false;
    if (rc === -E2BIG) {
      throw new BpfError(`map ${this.map.name}: a ${data.length}-byte record does not fit the ring (${this.map.maxEntries} bytes)`, {
        code: 'E2BIG', map: this.map.name,
      });
    }
    return true;
  }

  /**
   * Submits one record, raw or encoded as BTF type `typeId` of the object.
   * @throws {BpfError} ENOSPC when the ring is full; E2BIG when the record can never fit
   */
  submit(data: Buffer | MapInput, typeId?: number): void {
    let bytes: Buffer;
    if (Buffer.isBuffer(data)) bytes = data;
    else {
      const btf = this.map.btf;
      if (!btf || typeId === undefined) throw new BpfError(`map ${this.map.name}: a typed record needs a BTF type id`, { code: 'EINVAL', map: this.map.name });
      bytes = Buffer.alloc(btf.sizeOf(typeId));
      encodeTyped(btf, typeId, data, bytes, 0, `map ${this.map.name} record`);
    }
    if (!this.trySubmit(bytes)) {
      throw new BpfError(`map ${this.map.name}: user ring buffer is full`, {
        code: 'ENOSPC', map: this.map.name, hint: 'the program drains it with bpf_user_ringbuf_drain(); run it, then submit again',
      });
    }
  }

  close(): void {
    const writer = this.#writer;
    if (writer === undefined) return;
    this.#writer = undefined;
    callRingAddon(`map ${this.map.name}: user ring buffer close`, (a) => a.userRingbufClose(writer));
    this.map.release(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
