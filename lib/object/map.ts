// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';
import {
  BpfMapType, Fd, MapInfo, mapDeleteElem, mapGetInfo, mapGetNextKey, mapLookupElem, mapUpdateElem,
} from '../sys';
import { pinObject } from './pin';
import type { MapSpec } from './spec';

/** A key as given by callers: a Buffer of keySize bytes, or a number for 4/8-byte keys. */
export type MapKey = Buffer | number | bigint;

/**
 * A map of an object (BTF-defined, global data, `.kconfig`, or struct_ops). After load it
 * owns the kernel map fd; lookups and updates go straight to the kernel.
 */
export class BpfMap {
  readonly spec: MapSpec;
  #fd: Fd | undefined;

  /** @internal */
  constructor(spec: MapSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Name the kernel (and bpftool) shows, e.g. `cubic.bss`. */
  get kernelName(): string {
    return this.spec.kernelName;
  }

  get type(): number {
    return this.spec.type;
  }

  get typeName(): string {
    return BpfMapType[this.spec.type] ?? String(this.spec.type);
  }

  get keySize(): number {
    return this.spec.keySize;
  }

  get valueSize(): number {
    return this.spec.valueSize;
  }

  get maxEntries(): number {
    return this.spec.maxEntries;
  }

  get loaded(): boolean {
    return this.#fd !== undefined && !this.#fd.closed;
  }

  /** The map fd. @throws {BpfError} EBADF when the map is not created. */
  get fd(): Fd {
    if (!this.#fd || this.#fd.closed) throw new BpfError(`map ${this.name} is not loaded`, { code: 'EBADF', map: this.name });
    return this.#fd;
  }

  get id(): number {
    return this.info().id;
  }

  /** Kernel view of the map (BPF_OBJ_GET_INFO_BY_FD). */
  info(): MapInfo {
    return mapGetInfo(this.fd);
  }

  /** Value at `key`, or undefined when there is none. */
  lookup(key: MapKey): Buffer | undefined {
    const value = Buffer.alloc(this.spec.valueSize);
    try {
      mapLookupElem(this.fd, this.#key(key), value);
    } catch (err) {
      if ((err as BpfError).code === 'ENOENT') return undefined;
      throw this.#context(err);
    }
    return value;
  }

  /** Writes `value` (exactly valueSize bytes) at `key`. flags: BPF_ANY/BPF_NOEXIST/BPF_EXIST. */
  update(key: MapKey, value: Buffer, flags = 0): void {
    if (value.length !== this.spec.valueSize) {
      throw new RangeError(`Expected value of map ${this.name} to be ${this.spec.valueSize} bytes, got ${value.length}`);
    }
    try {
      mapUpdateElem(this.fd, this.#key(key), value, flags);
    } catch (err) {
      throw this.#context(err);
    }
  }

  /** Deletes `key`; returns false when it was not there. */
  delete(key: MapKey): boolean {
    try {
      mapDeleteElem(this.fd, this.#key(key));
      return true;
    } catch (err) {
      if ((err as BpfError).code === 'ENOENT') return false;
      throw this.#context(err);
    }
  }

  /** Iterates the keys (BPF_MAP_GET_NEXT_KEY). */
  *keys(): Generator<Buffer> {
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.spec.keySize);
      if (!mapGetNextKey(this.fd, prev, next)) return;
      yield next;
      prev = next;
    }
  }

  /** Pins the map at a bpffs path (creating directories and mounting bpffs if needed). */
  pin(path: string): void {
    pinObject(this.fd, path);
  }

  /** @internal */
  setLoaded(fd: Fd): void {
    this.#fd = fd;
  }

  /** @internal */
  close(): void {
    this.#fd?.close();
  }

  #key(key: MapKey): Buffer {
    if (Buffer.isBuffer(key)) {
      if (key.length !== this.spec.keySize) {
        throw new RangeError(`Expected key of map ${this.name} to be ${this.spec.keySize} bytes, got ${key.length}`);
      }
      return key;
    }
    const buf = Buffer.alloc(this.spec.keySize);
    if (this.spec.keySize === 4) buf.writeUInt32LE(Number(key));
    else if (this.spec.keySize === 8) buf.writeBigUInt64LE(BigInt(key));
    else throw new TypeError(`Expected a Buffer key for map ${this.name} (key size ${this.spec.keySize})`);
    return buf;
  }

  #context(err: unknown): unknown {
    if (err instanceof BpfError && err.map === undefined) (err as { map?: string }).map = this.name;
    return err;
  }
}
