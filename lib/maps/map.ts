// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BpfMap: one map of an object, read and written from user space. Element operations go
 * through a map handle opened once per map (lib/sys/map-handle.ts), so each costs exactly
 * one bpf() syscall. Raw Buffer access (`lookup`/`update`/`delete`/`keys`) and typed access
 * through the object's BTF (`get`/`set`/`entries`/`values`, queue and stack `push`/`pop`/
 * `peek`, per-CPU `getPerCpu`/`sum`) share it; ring buffers, user ring buffers and mmapped
 * views are opened from it and closed with it.
 */
import { BpfError } from '../errors';
import { type Btf, BtfKind, type DecodedValue } from '../btf';
import { pinObject } from '../pin';
import {
  BPF_ANY, BpfCmd, BpfMapType, Fd, MapInfo, mapGetFdById, mapGetInfo,
  errnoError, MapHandle, type MapLayout,
} from '../sys';
import { decodeTyped, encodeTyped, sumCounters, type MapInput } from './codec';
import type { MapSpec } from './spec';
import { MappedMemory } from './mapped';
import { isPerCpuType, perCpuStride } from './percpu';
import type { MapResource, ResourceMap } from './resource';
import { RingBufferReader, type RingBufferOptions } from './ringbuf';
import { UserRingBuffer } from './user-ringbuf';

export type { MapResource };

/** A key as given by callers: a Buffer of keySize bytes, a number for 4/8-byte keys, or a value of the BTF key type. */
export type MapKey = Buffer | number | bigint | DecodedValue;

const ENOENT = 2;

/**
 * A map of an object (BTF-defined, global data, `.kconfig`, or struct_ops). After load it
 * owns the kernel map fd; every element operation is one bpf() syscall.
 */
export class BpfMap implements ResourceMap {
  readonly spec: MapSpec;
  /** The object's BTF: key/value types of typed access. */
  readonly btf: Btf | undefined;
  #fd: Fd | undefined;
  #handle: MapHandle | undefined;
  #resources = new Set<MapResource>();
  #autocreate: boolean;
  #editsClosed = false;
  /** The object's own copy of the initial value, once edited (setGlobals, a resize). */
  #data: Buffer | undefined;
  /** ARENA: the object's copy of the `__arena` globals, once edited (not the value size: arenas have none). */
  #arenaGlobals: Buffer | undefined;
  /** ARENA: the mapping mmap() returns (the last one, once closed: a new one reuses its address). */
  #arena: MappedMemory<BpfMap> | undefined;

  /** @internal */
  constructor(spec: MapSpec, autocreate = true, btf?: Btf) {
    this.spec = spec;
    this.#autocreate = autocreate;
    this.btf = btf;
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

  /**
   * @internal Bytes load() writes at key 0 after creation (global data: the section's bytes
   * with setGlobals() edits). A copy: writing to it changes neither this object nor its spec
   * (which other objects share); edit with `obj.setGlobals()`.
   */
  get initialData(): Buffer | undefined {
    const data = this.#data ?? this.spec.initialData;
    return data === undefined ? undefined : Buffer.from(data);
  }

  /**
   * @internal ARENA: the `__arena` globals load() copies to the arena's end (the object's
   * copy with setGlobals() edits, else the section's bytes). A copy, as initialData.
   */
  get arenaGlobalsData(): Buffer | undefined {
    const data = this.#arenaGlobals ?? this.spec.arenaGlobals?.initialData;
    return data === undefined ? undefined : Buffer.from(data);
  }

  /**
   * @internal The object's own copy of the `__arena` globals, made on first edit (the spec
   * stays as parsed). Only for the map that holds them (`spec.arenaGlobals`).
   */
  editableArenaGlobals(): Buffer {
    if (this.#editsClosed) throw new BpfError(`map ${this.name}: its initial value cannot change after load()`, { code: 'EBUSY', map: this.name });
    return (this.#arenaGlobals ??= Buffer.from(this.spec.arenaGlobals!.initialData));
  }

  /**
   * @internal The object's own copy of the initial value, made on first edit so the spec
   * stays as parsed; `size` resizes it (zero-filled or cut).
   */
  editableData(size = this.valueSize): Buffer {
    if (this.#editsClosed) throw new BpfError(`map ${this.name}: its initial value cannot change after load()`, { code: 'EBUSY', map: this.name });
    if (this.#data === undefined || size !== this.#data.length) {
      const current = this.#data ?? this.spec.initialData ?? Buffer.alloc(0);
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

  /** True for PERCPU_HASH/PERCPU_ARRAY/LRU_PERCPU_HASH/PERCPU_CGROUP_STORAGE: one value per possible CPU. */
  get perCpu(): boolean {
    return isPerCpuType(this.spec.type);
  }

  /** Why there is no fd: load() not run yet, the map left out of it, or closed since. */
  #notLoadedHint(): string {
    if (this.#fd?.closed) return 'the map was closed (obj.close() or map.close())';
    if (!this.#editsClosed) return 'call obj.load() first';
    return this.#autocreate
      ? 'load() did not create it'
      : 'load() left it out: autocreate is false (an optional SEC("?...") section, or set so); set map.autocreate = true before load()';
  }

  /** The map fd. @throws {BpfError} EBADF when the map is not created. */
  get fd(): Fd {
    if (!this.#fd || this.#fd.closed) {
      throw new BpfError(`map ${this.name} is not loaded`, { code: 'EBADF', map: this.name, hint: this.#notLoadedHint() });
    }
    return this.#fd;
  }

  get id(): number {
    return this.info().id;
  }

  /** Kernel view of the map (BPF_OBJ_GET_INFO_BY_FD). */
  info(): MapInfo {
    return mapGetInfo(this.fd);
  }

  /**
   * What the kernel said about the map when its handle opened (one BPF_OBJ_GET_INFO_BY_FD
   * per map): sizes, and `valueBytes`, the bytes of one element's value in a syscall.
   */
  get layout(): MapLayout {
    return this.#open().layout;
  }

  // ---- raw bytes ----

  /**
   * Value bytes at `key`, or undefined when there is none. For per-CPU maps the Buffer
   * holds one round_up(valueSize, 8) slot per possible CPU.
   * @param out - a Buffer of at least `layout.valueBytes` to fill instead of a new one
   */
  lookup(key: MapKey, out?: Buffer): Buffer | undefined {
    const h = this.#open();
    const value = out ?? Buffer.allocUnsafe(h.layout.valueBytes);
    const errno = h.elem(BpfCmd.MAP_LOOKUP_ELEM, this.#key(key), value);
    if (errno === ENOENT) return undefined;
    if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_LOOKUP_ELEM, 'lookup');
    return value;
  }

  /** Writes `value` (exactly `layout.valueBytes` bytes) at `key`. flags: BPF_ANY/BPF_NOEXIST/BPF_EXIST/BPF_F_LOCK. */
  update(key: MapKey, value: Buffer, flags = BPF_ANY): void {
    const h = this.#open();
    if (value.length !== h.layout.valueBytes) {
      throw new RangeError(`Expected value of map ${this.name} to be ${h.layout.valueBytes} bytes, got ${value.length}`);
    }
    const errno = h.elem(BpfCmd.MAP_UPDATE_ELEM, this.#key(key), value, flags);
    if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_UPDATE_ELEM, 'update');
  }

  /** Deletes `key`; returns false when it was not there. */
  delete(key: MapKey): boolean {
    const errno = this.#open().elem(BpfCmd.MAP_DELETE_ELEM, this.#key(key), null);
    if (errno === ENOENT) return false;
    if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_DELETE_ELEM, 'delete');
    return true;
  }

  /**
   * Iterates the keys (BPF_MAP_GET_NEXT_KEY, one syscall per key), as raw Buffers. A
   * synchronous generator: keys deleted meanwhile may restart a hash map's walk (kernel rule).
   */
  *keys(): Generator<Buffer> {
    const h = this.#open();
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.allocUnsafe(this.spec.keySize);
      const errno = h.elem(BpfCmd.MAP_GET_NEXT_KEY, prev, next);
      if (errno === ENOENT) return;
      if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_GET_NEXT_KEY, 'iterate');
      yield next;
      prev = next;
    }
  }

  // ---- typed values ----

  /**
   * The value at `key` decoded through BTF (structs as objects, 64-bit integers as bigint),
   * or undefined. Per-CPU maps give an array with one value per possible CPU.
   */
  get(key: MapKey): DecodedValue | Buffer | undefined {
    const raw = this.lookup(key);
    return raw === undefined ? undefined : this.#decodeValue(raw);
  }

  /**
   * Encodes `value` through BTF and stores it. Per-CPU maps take an array (one value per
   * possible CPU) or a single value written to every CPU.
   * @throws {BpfError} naming the member when a value does not fit its C type
   */
  set(key: MapKey, value: MapInput | MapInput[], flags = BPF_ANY): void {
    this.update(key, this.encodeValue(value), flags);
  }

  /** True when `key` has a value. */
  has(key: MapKey): boolean {
    return this.lookup(key) !== undefined;
  }

  /** Per-CPU maps: one decoded value per possible CPU (undefined when the key is absent). */
  getPerCpu(key: MapKey): (DecodedValue | Buffer)[] | undefined {
    if (!this.perCpu) throw new BpfError(`map ${this.name} (${this.typeName}) is not per-CPU`, { code: 'EINVAL', map: this.name });
    return this.get(key) as (DecodedValue | Buffer)[] | undefined;
  }

  /**
   * Per-CPU integer counters summed over every possible CPU (bigint; structs member by
   * member). undefined when the key is absent.
   */
  sum(key: MapKey): DecodedValue | undefined {
    const values = this.getPerCpu(key);
    return values === undefined ? undefined : sumCounters(values, `map ${this.name}`);
  }

  /**
   * `[key, value]` pairs, decoded through BTF (`{ raw: true }`: Buffers). A synchronous
   * generator over GET_NEXT_KEY + LOOKUP (two syscalls per element); for large maps
   * {@link lookupBatch} takes one syscall per chunk.
   */
  *entries(options: { raw?: boolean } = {}): Generator<[DecodedValue | Buffer, DecodedValue | Buffer]> {
    for (const key of this.keys()) {
      const raw = this.lookup(key);
      if (raw === undefined) continue;  // deleted meanwhile
      yield options.raw ? [key, raw] : [this.#decodeKey(key), this.#decodeValue(raw)];
    }
  }

  /** Decoded values in key order (see {@link entries}). */
  *values(): Generator<DecodedValue | Buffer> {
    for (const [, v] of this.entries()) yield v;
  }

  /** The value bytes `value` encodes to (per-CPU aware), as {@link set} writes them. */
  encodeValue(value: MapInput | MapInput[]): Buffer {
    const h = this.#open();
    if (Buffer.isBuffer(value) && value.length === h.layout.valueBytes) return value;
    const out = Buffer.alloc(h.layout.valueBytes);
    if (!this.perCpu) {
      this.#encodeOne(value as MapInput, out, 0, `map ${this.name} value`);
      return out;
    }
    const stride = perCpuStride(this.valueSize);
    const cpus = h.layout.possibleCpus;
    if (Array.isArray(value) && !this.#valueIsArrayType()) {
      if (value.length !== cpus) throw new RangeError(`Expected ${cpus} per-CPU values for map ${this.name}, got ${value.length}`);
      value.forEach((v, cpu) => this.#encodeOne(v, out, cpu * stride, `map ${this.name} value[cpu ${cpu}]`));
    } else {
      for (let cpu = 0; cpu < cpus; cpu++) this.#encodeOne(value as MapInput, out, cpu * stride, `map ${this.name} value`);
    }
    return out;
  }

  // ---- batches ----

  /**
   * Every element in chunks of `chunk` through BPF_MAP_LOOKUP_BATCH (or
   * LOOKUP_AND_DELETE_BATCH with `{ delete: true }`): one syscall per chunk.
   * @throws {BpfError} EINVAL/ENOTSUPP on kernels or map types without batch support (5.6+, hash/array maps)
   */
  lookupBatch(options: { chunk?: number; delete?: boolean } = {}): { keys: Buffer[]; values: Buffer[] } {
    const h = this.#open();
    const chunk = Math.max(1, Math.min(options.chunk ?? 256, this.spec.maxEntries || 1));
    const cmd = options.delete ? BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH : BpfCmd.MAP_LOOKUP_BATCH;
    const tokenSize = Math.max(this.spec.keySize, 4);
    const keysOut: Buffer[] = [];
    const valuesOut: Buffer[] = [];
    let inBatch: Buffer | null = null;
    const { keySize } = this.spec;
    const { valueBytes } = h.layout;
    for (;;) {
      const keys = Buffer.alloc(chunk * keySize);
      const values = Buffer.alloc(chunk * valueBytes);
      const outBatch = Buffer.alloc(tokenSize);
      const { errno, count } = h.batch(cmd, inBatch, outBatch, keys, values, chunk);
      for (let i = 0; i < count; i++) {
        keysOut.push(keys.subarray(i * keySize, (i + 1) * keySize));
        valuesOut.push(values.subarray(i * valueBytes, (i + 1) * valueBytes));
      }
      if (errno === ENOENT) break;  // the walk reached the end
      if (errno !== 0) throw this.#error(errno, cmd, 'batch lookup');
      inBatch = outBatch;
    }
    return { keys: keysOut, values: valuesOut };
  }

  /** Deletes `keys` with one BPF_MAP_DELETE_BATCH; returns how many were deleted before any failure. */
  deleteBatch(keys: MapKey[]): number {
    const h = this.#open();
    const buf = Buffer.concat(keys.map((k) => this.#key(k)!));
    const { errno, count } = h.batch(BpfCmd.MAP_DELETE_BATCH, null, null, buf, null, keys.length);
    if (errno !== 0 && errno !== ENOENT) throw this.#error(errno, BpfCmd.MAP_DELETE_BATCH, 'batch delete');
    return count;
  }

  /** Stores every `[key, value]` with one BPF_MAP_UPDATE_BATCH (values typed or raw). */
  updateBatch(entries: [MapKey, MapInput | MapInput[]][], flags = BPF_ANY): number {
    const h = this.#open();
    const keys = Buffer.concat(entries.map(([k]) => this.#key(k)!));
    const values = Buffer.concat(entries.map(([, v]) => this.encodeValue(v)));
    const { errno, count } = h.batch(BpfCmd.MAP_UPDATE_BATCH, null, null, keys, values, entries.length, flags);
    if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_UPDATE_BATCH, 'batch update');
    return count;
  }

  // ---- queues and stacks ----

  /** QUEUE/STACK: adds `value` (flags BPF_EXIST replaces the oldest when full). */
  push(value: MapInput, flags = BPF_ANY): void {
    this.#requireKeyless('push');
    const h = this.#open();
    const errno = h.elem(BpfCmd.MAP_UPDATE_ELEM, null, this.encodeValue(value), flags);
    if (errno !== 0) throw this.#error(errno, BpfCmd.MAP_UPDATE_ELEM, 'push');
  }

  /** QUEUE/STACK: removes and returns the next value (BPF_MAP_LOOKUP_AND_DELETE_ELEM), undefined when empty. */
  pop(options: { raw?: boolean } = {}): DecodedValue | Buffer | undefined {
    return this.#take(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, 'pop', options.raw);
  }

  /** QUEUE/STACK: the next value without removing it, undefined when empty. */
  peek(options: { raw?: boolean } = {}): DecodedValue | Buffer | undefined {
    return this.#take(BpfCmd.MAP_LOOKUP_ELEM, 'peek', options.raw);
  }

  // ---- map-in-map ----

  /** ARRAY_OF_MAPS/HASH_OF_MAPS: puts `inner` (a map or fd) at `key`, replacing what was there. */
  setInner(key: MapKey, inner: BpfMap | Fd | number, flags = BPF_ANY): void {
    const fd = inner instanceof BpfMap ? inner.fd.raw : inner instanceof Fd ? inner.raw : inner;
    const value = Buffer.alloc(4);
    value.writeUInt32LE(fd);
    this.update(key, value, flags);
  }

  /** ARRAY_OF_MAPS/HASH_OF_MAPS: id of the map at `key` (what lookups return), undefined when empty. */
  innerId(key: MapKey): number | undefined {
    const raw = this.lookup(key);
    return raw === undefined ? undefined : raw.readUInt32LE(0);
  }

  /**
   * ARRAY_OF_MAPS/HASH_OF_MAPS: opens the map at `key` (MAP_GET_FD_BY_ID) as a BpfMap typed
   * by the inner definition. The caller owns it: close() it.
   */
  inner(key: MapKey): BpfMap | undefined {
    const id = this.innerId(key);
    if (id === undefined || id === 0) return undefined;
    const fd = mapGetFdById(id);
    const info = mapGetInfo(fd);
    const base = this.spec.inner;
    const spec: MapSpec = {
      ...(base ?? this.spec), name: `${this.name}[${id}]`, kernelName: info.name, type: info.type,
      keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.mapFlags,
      inner: undefined, initialSlots: undefined,
    };
    const map = new BpfMap(spec, true, this.btf);
    map.setLoaded(fd);
    return map;
  }

  // ---- ring buffers and shared memory ----

  /**
   * RINGBUF: a reader of the records programs submit (async iterator, `consume()` for
   * batches, `stream()` for a Readable). Closed with the map.
   * @example
   * for await (const ev of obj.maps.get('events')!.ringBuffer({ type: 'struct event' })) console.log(ev);
   */
  ringBuffer<T = Buffer | DecodedValue>(options: RingBufferOptions = {}): RingBufferReader<T, BpfMap> {
    return new RingBufferReader<T, BpfMap>(this, options);
  }

  /** USER_RINGBUF: a writer of records that programs drain with bpf_user_ringbuf_drain(). Closed with the map. */
  userRingBuffer(): UserRingBuffer<BpfMap> {
    return new UserRingBuffer<BpfMap>(this);
  }

  /**
   * ARENA or BPF_F_MMAPABLE ARRAY: the map's memory as a Buffer/DataView shared with the
   * programs. Closed with the map. An arena has one mapping per process (the kernel fixes
   * its address): every call returns the open one (load() maps an object's arena), and
   * after its close() a new one at the same address.
   */
  mmap(): MappedMemory<BpfMap> {
    if (this.spec.type !== BpfMapType.ARENA) return new MappedMemory<BpfMap>(this);
    if (this.#arena === undefined || this.#arena.closed) this.#arena = new MappedMemory<BpfMap>(this, this.#arena?.address);
    return this.#arena;
  }

  /** Pins the map at a bpffs path (creating directories and mounting bpffs if needed). */
  pin(path: string): void {
    pinObject(this.fd, path);
  }

  /** @internal */
  setLoaded(fd: Fd): void {
    this.#fd = fd;
  }

  /** @internal The handle (opened on first use, once per map). */
  handle(): MapHandle {
    return this.#open();
  }

  /** @internal Registers something (ring buffer reader, view) to close with this map. */
  adopt<T extends MapResource>(resource: T): T {
    this.#resources.add(resource);
    return resource;
  }

  /** @internal */
  release(resource: MapResource): void {
    this.#resources.delete(resource);
  }

  /** Closes the map fd and everything opened from it (readers, views). The object closes its maps. */
  close(): void {
    for (const r of [...this.#resources]) r.close();
    this.#resources.clear();
    this.#handle?.close();
    this.#handle = undefined;
    this.#fd?.close();
  }

  #open(): MapHandle {
    if (this.#handle && !this.#handle.closed) return this.#handle;
    this.#handle = new MapHandle(this.fd);
    return this.#handle;
  }

  #take(cmd: BpfCmd, what: string, raw?: boolean): DecodedValue | Buffer | undefined {
    this.#requireKeyless(what);
    const h = this.#open();
    const value = Buffer.allocUnsafe(h.layout.valueBytes);
    const errno = h.elem(cmd, null, value);
    if (errno === ENOENT) return undefined;
    if (errno !== 0) throw this.#error(errno, cmd, what);
    return raw ? value : this.#decodeValue(value);
  }

  #requireKeyless(what: string): void {
    if (this.spec.type !== BpfMapType.QUEUE && this.spec.type !== BpfMapType.STACK && this.spec.type !== BpfMapType.BLOOM_FILTER) {
      throw new BpfError(`map ${this.name}: ${what} needs a QUEUE or STACK map, not ${this.typeName}`, {
        code: 'EINVAL', map: this.name,
      });
    }
  }

  #valueIsArrayType(): boolean {
    return this.btf !== undefined && this.spec.btfValueTypeId !== 0 && this.btf.resolve(this.spec.btfValueTypeId).kind === BtfKind.ARRAY;
  }

  #encodeOne(value: MapInput, out: Buffer, offset: number, path: string): void {
    if (Buffer.isBuffer(value)) {
      if (value.length !== this.valueSize) {
        throw new RangeError(`Expected ${path} to be ${this.valueSize} bytes, got ${value.length}`);
      }
      value.copy(out, offset);
      return;
    }
    if (!this.btf || this.spec.btfValueTypeId === 0) {
      throw new BpfError(`${path}: the map has no BTF value type; pass a Buffer`, { code: 'EINVAL', map: this.name });
    }
    encodeTyped(this.btf, this.spec.btfValueTypeId, value, out, offset, path);
  }

  #decodeValue(raw: Buffer): DecodedValue | Buffer {
    if (!this.perCpu) return decodeTyped(this.btf, this.spec.btfValueTypeId, raw.subarray(0, this.valueSize));
    const stride = perCpuStride(this.valueSize);
    const out: (DecodedValue | Buffer)[] = [];
    for (let off = 0; off + stride <= raw.length; off += stride) {
      out.push(decodeTyped(this.btf, this.spec.btfValueTypeId, raw.subarray(off, off + this.valueSize)));
    }
    return out as DecodedValue;
  }

  #decodeKey(raw: Buffer): DecodedValue | Buffer {
    return decodeTyped(this.btf, this.spec.btfKeyTypeId, raw);
  }

  #key(key: MapKey): Buffer | null {
    const size = this.spec.keySize;
    if (size === 0) return null;
    if (Buffer.isBuffer(key)) {
      if (key.length !== size) {
        throw new RangeError(`Expected key of map ${this.name} to be ${size} bytes, got ${key.length}`);
      }
      return key;
    }
    const buf = Buffer.alloc(size);
    if ((typeof key === 'number' || typeof key === 'bigint') && (size === 4 || size === 8)) {
      if (size === 4) buf.writeUInt32LE(Number(key));
      else buf.writeBigUInt64LE(BigInt(key));
      return buf;
    }
    if (!this.btf || this.spec.btfKeyTypeId === 0) {
      throw new TypeError(`Expected a Buffer key for map ${this.name} (key size ${size})`);
    }
    encodeTyped(this.btf, this.spec.btfKeyTypeId, key, buf, 0, `map ${this.name} key`);
    return buf;
  }

  #error(errno: number, cmd: BpfCmd, what: string): BpfError {
    const e = errnoError(errno, cmd);
    (e as { map?: string }).map = this.name;
    e.message = `map ${this.name}: ${what}: ${e.message}`;
    return e;
  }
}
