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
  #autocreate: boolean;
  #editsClosed = false;
  /** The object's own copy of the initial value, once edited (setGlobals, a resize). */
  #data: Buffer | undefined;

  /** @internal */
  constructor(spec: MapSpec, autocreate = true) {
    this.spec = spec;
    this.#autocreate = autocreate;
  }

  /**
   * Whether load() creates this map (libbpf's bpf_map__set_autocreate). True by default,
   * false for struct_ops variables in `?.struct_ops*` sections. A struct_ops map left out
   * takes the programs only it uses with it; a plain map left out must not be used by any
   * program that loads. Settable until load() starts; the object's spec is not changed.
   *
   * @throws {BpfError} EBUSY when set after load() started; EINVAL for a non-boolean.
   * @example
   * obj.structOps.get('unused_ops')!.autocreate = false;
   */
  get autocreate(): boolean {
    return this.#autocreate;
  }

  set autocreate(value: boolean) {
    if (typeof value !== 'boolean') {
      throw new BpfError(`map ${this.name}: autocreate must be a boolean, got ${String(value)}`, { code: 'EINVAL', map: this.name });
    }
    if (this.#editsClosed) throw new BpfError(`map ${this.name}: autocreate cannot change after load()`, { code: 'EBUSY', map: this.name });
    this.#autocreate = value;
  }

  /** @internal Bytes written at key 0 after creation: the object's copy, else the spec's. */
  get initialData(): Buffer | undefined {
    return this.#data ?? this.spec.initialData;
  }

  /**
   * @internal The object's own copy of the initial value, made on first edit so the spec
   * stays as parsed; `size` resizes it (zero-filled or cut).
   */
  editableData(size = this.valueSize): Buffer {
    if (this.#editsClosed) throw new BpfError(`map ${this.name}: its initial value cannot change after load()`, { code: 'EBUSY', map: this.name });
    const current = this.initialData ?? Buffer.alloc(0);
    if (this.#data === undefined || size !== this.#data.length) {
      const copy = Buffer.alloc(size);
      current.copy(copy, 0, 0, Math.min(size, current.length));
      this.#data = copy;
    }
    return this.#data;
  }

  /** @internal Called when load() starts: switches are read-only from then on. */
  closeEdits(): void {
    this.#editsClosed = true;
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

  /** Value size in bytes (a resized data section reports its new size). */
  get valueSize(): number {
    return this.#data?.length ?? this.spec.valueSize;
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
    const value = Buffer.alloc(this.valueSize);
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
    if (value.length !== this.valueSize) {
      throw new RangeError(`Expected value of map ${this.name} to be ${this.valueSize} bytes, got ${value.length}`);
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
