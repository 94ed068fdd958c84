// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { readObjectFile } from '../elf';
import { BpfError } from '../errors';
import type { Fd } from '../sys';
import { decodeValue, type DecodedValue } from '../btf';
import { ShadowWriteError, valueLayout, writeMember } from '../shadow';
import { ARENA_SECTION } from './open/arena';
import { datasecVars, findDatasec } from './open/btf-fixup';
import { loadObjectSpec } from './open';
import { planDataResize } from './data-resize';
import { fitInteger, kernelEnumerators } from './kernel-enums';
import { loadKernelBtf, type Btf } from '../btf';
import { KernelBtfs, type KernelBtfsOptions } from '../kernel';
import { loadObject } from './load';
import { buildKconfigValue } from './load/kconfig';
import { planLoad, type LoadPlan, type PlanLoadOptions } from './load/plan';
import type { BpfLink } from '../link';
import { BpfMap } from './map';
import { BpfProgram } from './program';
import type { ObjectSpec } from './spec';
import { StructOpsMap } from './struct-ops-map';

type State = 'opened' | 'loading' | 'loaded' | 'failed' | 'closed';

/**
 * A BPF object file: its programs, maps and struct_ops variables. Opening reads only the
 * file; `load()` creates the kernel objects; `close()` releases every fd it owns.
 *
 * Lifetimes: the object owns every kernel object it created, including the registrations
 * made by `attach()` on its struct_ops maps (as a libbpf skeleton owns its links). They
 * last while the object is open, whether or not the caller keeps the returned
 * {@link BpfLink}: the garbage collector never ends them. `close()` (or `using`) ends them,
 * except what outlives the process by design: a pinned link, a legacy registration made
 * with `persist` or of a pinned map.
 */
export class BpfObject {
  readonly spec: ObjectSpec;
  /** Programs by name (the C function name). */
  readonly programs: Map<string, BpfProgram>;
  /** Every map by name, struct_ops maps included (`.bss` for global data, variable names otherwise). */
  readonly maps: Map<string, BpfMap>;
  /** struct_ops maps by variable name. */
  readonly structOps: Map<string, StructOpsMap>;
  /** Non-fatal findings of open and load (skipped members, unused programs, ...). */
  readonly warnings: string[];
  #state: State = 'opened';
  #owned: Fd[] = [];
  /** Registrations made through this object's maps: kept alive by it, ended with it. */
  #links = new Set<BpfLink>();

  /** @internal Use openObject(). */
  constructor(spec: ObjectSpec) {
    this.spec = spec;
    this.warnings = [...spec.warnings];
    this.programs = new Map(spec.programs.map((p) => [p.name, new BpfProgram(p)]));
    this.structOps = new Map(spec.structOps.map((s) => {
      const bound = new Map([...s.programs].map(([member, prog]) => [member, this.programs.get(prog)!]));
      return [s.name, new StructOpsMap(s, bound, this)];
    }));
    this.maps = new Map<string, BpfMap>(spec.maps.map((m) => [m.name, new BpfMap(m, true, spec.btf)]));
    for (const [name, map] of this.structOps) this.maps.set(name, map);
  }

  /** Object name (file name up to the first '.'). */
  get name(): string {
    return this.spec.name;
  }

  get loaded(): boolean {
    return this.#state === 'loaded';
  }

  /**
   * Creates the kernel objects: BTF, maps, programs, struct_ops values. On failure every
   * kernel object created so far is released before the error is thrown.
   *
   * @throws {BpfError} with the failing command, map/program/member and a hint.
   */
  async load(): Promise<void> {
    if (this.#state !== 'opened') {
      throw new BpfError(`object ${this.name} is ${this.#state}; load() runs once after open`, { code: 'EBUSY', object: this.name });
    }
    this.#state = 'loading';
    for (const p of this.programs.values()) p.lock();
    for (const m of this.structOps.values()) m.lock();
    for (const m of this.maps.values()) m.closeEdits();
    const kernel = new KernelBtfs();
    const plainMaps = new Map([...this.maps].filter(([, m]) => !(m instanceof StructOpsMap)));
    try {
      await loadObject({
        spec: this.spec, programs: this.programs, maps: plainMaps, structOps: this.structOps,
        warnings: this.warnings, own: (fd) => this.#owned.push(fd),
      }, kernel);
      this.#state = 'loaded';
    } catch (err) {
      this.#release();
      this.#state = 'failed';
      throw err;
    } finally {
      kernel.close();
    }
  }

  /**
   * Computes what {@link load} would send to the kernel (the object BTF, every
   * BPF_MAP_CREATE and BPF_PROG_LOAD attr, encoded as bpf() receives it) without creating
   * any kernel object. Object BTF and maps get placeholder fds; module BTF fds come from
   * `options.kernel`. The object itself is not changed (its warnings neither).
   *
   * @param options - `kernel`: the kernel BTF to resolve against (a KernelBtfs the caller
   *   keeps, or options to build one, e.g. an injected vmlinux and modules; default: the
   *   running kernel's). `btfFeatures`: what the object BTF is sanitized for (default:
   *   everything). `firstFd`: the object BTF's placeholder fd (maps follow it). Module BTF
   *   fds that a KernelBtfs built here opened are closed again on return; pass your own
   *   KernelBtfs to keep them.
   * @throws {BpfError} for whatever load() would reject before its first syscall
   * @example
   * const plan = obj.planLoad();
   * for (const m of plan.maps) console.log(m.name, m.attr.mapFlags, m.attr.btfVmlinuxValueTypeId);
   */
  planLoad(options: PlanLoadOptions & { kernel?: KernelBtfs | KernelBtfsOptions } = {}): LoadPlan {
    if (this.#state === 'closed') throw new BpfError(`object ${this.name} is closed`, { code: 'EBADF', object: this.name });
    const { kernel: given, ...rest } = options;
    const kernel = given instanceof KernelBtfs ? given : new KernelBtfs(given);
    const plainMaps = new Map([...this.maps].filter(([, m]) => !(m instanceof StructOpsMap)));
    try {
      return planLoad({ spec: this.spec, programs: this.programs, maps: plainMaps, structOps: this.structOps }, kernel, rest);
    } finally {
      if (kernel !== given) kernel.close();
    }
  }

  /**
   * Reads a global-data map (`.bss`, `.data`, `.rodata`, ...), `.kconfig` or the `__arena`
   * globals (`.addr_space.1`) and decodes each variable through the object's BTF: integers
   * as number (bigint when 64-bit), char arrays as strings, arrays and structs as arrays and
   * objects, pointers as bigint addresses. After load it reads the kernel's map (frozen
   * `.rodata`/`.kconfig` included; for `.addr_space.1`, the mapped arena at
   * `map.mmap().globalsOffset`); before load it decodes the initial values load() would
   * write (the section bytes with setGlobals() edits; for `.kconfig`, the running kernel's
   * config values).
   *
   * @throws {BpfError} ENOENT for a section the object does not have; EBADF after close().
   * @example
   * const { cong_avoid_calls } = obj.readGlobals('.bss');
   */
  readGlobals(section: string): Record<string, DecodedValue> {
    const arena = section === ARENA_SECTION ? [...this.maps.values()].find((m) => m.spec.arenaGlobals) : undefined;
    const map = arena ?? this.maps.get(section);
    if (!map || (!arena && map.spec.kind !== 'data' && map.spec.kind !== 'kconfig')) {
      throw new BpfError(`object ${this.name} has no global data section ${section}`, { code: 'ENOENT', object: this.name });
    }
    const bytes = arena ? this.#arenaBytes(arena) : this.#globalBytes(map, section);
    const datasec = findDatasec(this.spec.btf, section);
    const out: Record<string, DecodedValue> = {};
    if (!datasec) return out;
    for (const { v, offset, size } of datasecVars(this.spec.btf, datasec)) {
      out[v.name] = decodeValue(this.spec.btf, v.type, bytes.subarray(offset, offset + size));
    }
    return out;
  }

  /** The `__arena` globals: in the mapped arena after load, the section's bytes before. */
  #arenaBytes(map: BpfMap): Buffer {
    if (this.#state === 'closed') throw new BpfError(`object ${this.name} is closed`, { code: 'EBADF', object: this.name });
    const { offset, size } = map.spec.arenaGlobals!;
    return map.loaded ? map.mmap().bytes.subarray(offset, offset + size) : map.arenaGlobalsData!;
  }

  #globalBytes(map: BpfMap, section: string): Buffer {
    if (this.#state === 'closed') throw new BpfError(`object ${this.name} is closed`, { code: 'EBADF', object: this.name });
    if (map.loaded) {
      const bytes = map.lookup(0);
      if (!bytes) throw new BpfError(`map ${map.kernelName} has no value`, { code: 'ENOENT', map: section });
      return bytes;
    }
    // Not created (before load, or left out): what load() would put there.
    if (map.spec.kind === 'kconfig') {
      return buildKconfigValue(this.spec.btf, this.spec.externs, map.spec.valueSize, this.name);
    }
    return map.initialData ?? Buffer.alloc(map.valueSize);
  }

  /**
   * Sets global variables of a data section before load(), e.g. `.rodata` tunables
   * (`const volatile` in C) that the verifier then sees as constants, or the `__arena`
   * globals (`.addr_space.1`), whose initial values load() writes into the arena. An unsigned 64-bit
   * variable also takes a negative value down to -2^63 and stores its two's complement, as
   * C does for a signed enumerator (sched_ext's `__SCX_*` constants hold such values).
   *
   * @throws {BpfError} EBUSY after load() started; ENOENT for an unknown section or variable.
   * @example
   * obj.setGlobals('.rodata', { beta: 800, fast_convergence: false });
   */
  setGlobals(section: string, values: Record<string, number | bigint | boolean | string>): void {
    if (this.#state !== 'opened') {
      throw new BpfError(`object ${this.name}: globals can only be set before load()`, { code: 'EBUSY', object: this.name });
    }
    // `.addr_space.1` is no map of its own: its bytes are the globals load() copies into the arena.
    const arena = section === ARENA_SECTION ? [...this.maps.values()].find((m) => m.spec.arenaGlobals) : undefined;
    const map = arena ?? this.maps.get(section);
    const datasec = findDatasec(this.spec.btf, section);
    if (!map || (!arena && (map.spec.kind !== 'data' || !map.initialData)) || !datasec) {
      throw new BpfError(`object ${this.name} has no global data section ${section}`, { code: 'ENOENT', object: this.name });
    }
    const vars = datasecVars(this.spec.btf, datasec);
    // The object's copy: the spec (a reusable blueprint) keeps the file's bytes.
    const data = arena ? arena.editableArenaGlobals() : map.editableData();
    for (const [name, value] of Object.entries(values)) {
      const v = vars.find((x) => x.v.name === name);
      if (!v) {
        throw new BpfError(`${section} has no variable ${name}`, {
          code: 'ENOENT', object: this.name, section, hint: `variables: ${vars.map((x) => x.v.name).join(', ')}`,
        });
      }
      const layout = valueLayout(this.spec.btf, v.v.type, name, v.offset, data.length);
      // A function pointer in global data has no program binding to go through (only a
      // struct_ops value has those): it is set as raw bytes or not at all.
      if (layout.kind === 'program') {
        throw new BpfError(`${section} variable ${name} (${layout.cType}) is a function pointer: it cannot be set from user space`, {
          code: 'EINVAL', object: this.name, section,
        });
      }
      let input = value;
      const wrap = (layout.kind === 'int' || layout.kind === 'enum') && !layout.signed && layout.size === 8;
      if (wrap && (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)))) {
        const big = BigInt(value);
        if (big < 0n && big >= -(1n << 63n)) input = BigInt.asUintN(64, big);
      }
      try {
        writeMember(layout, data, input);
      } catch (err) {
        if (!(err instanceof ShadowWriteError)) throw err;
        throw new BpfError(`${section} variable ${name} (${layout.cType}) ${err.why}`, {
          code: err.code, object: this.name, section,
        });
      }
    }
  }

  /**
   * Fills constants from the running kernel's enumerators of the same name, before load(),
   * like sched_ext's SCX_ENUM_INIT: each integer variable of `section` whose name is
   * `prefix` + NAME (`__SCX_DSQ_FLAG_BUILTIN`) gets the value of the kernel enumerator NAME
   * (`SCX_DSQ_FLAG_BUILTIN`), wrapped to the variable's width as a C assignment would; where
   * the kernel has no such enumerator the variable is set to 0.
   *
   * @param options - `prefix` (default `'__'`); `btf`: the kernel BTF to read (default vmlinux)
   * @returns each matched variable with the value set, or null where the kernel lacks it
   * @throws {BpfError} EBUSY after load() started; ENOENT for an unknown section.
   * @example
   * obj.setGlobalsFromKernelEnums('.rodata'); // __SCX_* <- SCX_*
   */
  setGlobalsFromKernelEnums(section = '.rodata', options: { prefix?: string; btf?: Btf } = {}): Record<string, bigint | null> {
    const prefix = options.prefix ?? '__';
    const datasec = findDatasec(this.spec.btf, section);
    if (!datasec || !this.maps.get(section)) {
      throw new BpfError(`object ${this.name} has no global data section ${section}`, { code: 'ENOENT', object: this.name });
    }
    const enums = kernelEnumerators(options.btf ?? loadKernelBtf());
    const found: Record<string, bigint | null> = {};
    const values: Record<string, bigint> = {};
    for (const { v } of datasecVars(this.spec.btf, datasec)) {
      if (!v.name.startsWith(prefix) || v.name.length === prefix.length) continue;
      const layout = valueLayout(this.spec.btf, v.type, v.name, 0);
      if (layout.kind !== 'int' && layout.kind !== 'enum') continue;
      const value = enums.get(v.name.slice(prefix.length));
      found[v.name] = value ?? null;
      values[v.name] = value === undefined ? 0n : fitInteger(value, layout.size, layout.signed);
    }
    this.setGlobals(section, values);
    return found;
  }

  /**
   * Resizes a global-data section before load() (libbpf's bpf_map__set_value_size on a
   * data map): its last variable must be an array, which grows or shrinks to fill `size`
   * bytes in whole elements; the map, its initial value (zero-filled or cut) and the BTF
   * the kernel sees all take the new size. sched_ext sizes `.data.uei_dump` this way.
   *
   * @throws {BpfError} EBUSY after load() started; ENOENT for an unknown section; EINVAL
   *   when the last variable is not an array or `size` does not end on a whole element.
   * @example
   * obj.resizeGlobals('.data.uei_dump', 4096); // char uei_dump[] becomes 4096 bytes
   */
  resizeGlobals(section: string, size: number): void {
    if (this.#state !== 'opened') {
      throw new BpfError(`object ${this.name}: data sections can only be resized before load()`, { code: 'EBUSY', object: this.name });
    }
    const map = this.maps.get(section);
    if (!map || map.spec.kind !== 'data') {
      throw new BpfError(`object ${this.name} has no global data section ${section}`, { code: 'ENOENT', object: this.name });
    }
    planDataResize(this.spec.btf, section, size, this.spec.path ?? this.name);
    map.editableData(size);
  }

  /** @internal Keeps a registration made by one of this object's maps (see the class comment). */
  adopt(link: BpfLink): void {
    for (const l of this.#links) if (l.closed) this.#links.delete(l);
    this.#links.add(link);
  }

  /**
   * Releases every kernel object this object owns, and ends the registrations it made
   * (a pinned link, a `persist` or pinned-map legacy registration stay registered).
   */
  close(): void {
    if (this.#state === 'closed') return;
    this.#release();
    this.#state = 'closed';
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #release(): void {
    for (const link of this.#links) link.releaseWithObject();
    this.#links.clear();
    for (const p of this.programs.values()) p.close();
    for (const m of this.maps.values()) m.close();
    for (const fd of this.#owned) fd.close();
    this.#owned = [];
  }
}

/**
 * Opens a BPF object without touching the kernel: from a file path, from its bytes, or from
 * an ObjectSpec that {@link loadObjectSpec} returned. A spec is an immutable blueprint: any
 * number of objects can be opened from it, each with its own programs, maps, shadow values,
 * globals and autoload/autocreate switches; loading or editing one changes neither the
 * spec nor the others (the file is parsed once).
 *
 * @param options - `name`: the file name given to bytes (it names the object's data maps)
 * @throws {BpfError} ENOENT for a missing file, EINVAL for malformed ELF/BTF or for a spec
 *   that loadObjectSpec() did not return.
 * @example
 * const obj = await openObject('cc.bpf.o');
 * await obj.load();
 * const link = await obj.structOps.get('mycc')!.attach();
 * @example
 * const spec = loadObjectSpec(readFileSync('cc.bpf.o'), 'cc.bpf.o');
 * const a = await openObject(spec);
 * const b = await openObject(spec);
 * b.structOps.get('mycc')!.value.name = 'mycc2'; // a (and spec) keep 'mycc'
 */
export async function openObject(source: string | Buffer | ObjectSpec, options: { name?: string } = {}): Promise<BpfObject> {
  if (typeof source !== 'string' && !Buffer.isBuffer(source)) return new BpfObject(specToOpen(source));
  let data: Buffer;
  let path: string;
  if (Buffer.isBuffer(source)) {
    data = source;
    path = options.name ?? 'buffer.bpf.o';
  } else {
    path = source;
    data = readObjectFile(source);
  }
  return new BpfObject(specFor(data, path));
}

/** The last few specs parsed, by name: a spec is frozen, so the same bytes can share one. */
const recentSpecs = new Map<string, { data: Buffer; spec: ObjectSpec }>();
const RECENT_SPECS = 8;

/**
 * The spec of `data`: the one parsed before when these are the very bytes parsed last
 * under this name (compared in full, so an edited file is parsed again), else a new parse.
 * An object opened ten times in a process parses it once, as `openObject(spec)` would.
 */
function specFor(data: Buffer, name: string): ObjectSpec {
  const hit = recentSpecs.get(name);
  if (hit !== undefined && hit.data.equals(data)) return hit.spec;
  const spec = loadObjectSpec(data, name);
  recentSpecs.delete(name);
  if (recentSpecs.size >= RECENT_SPECS) recentSpecs.delete(recentSpecs.keys().next().value as string);
  // A private copy: the caller's Buffer may change after open returns.
  recentSpecs.set(name, { data: Buffer.from(data), spec });
  return spec;
}

/** A spec objects may share: only loadObjectSpec's (frozen) ones, which no object can change. */
function specToOpen(spec: ObjectSpec): ObjectSpec {
  if (spec === null || typeof spec !== 'object' || !Object.isFrozen(spec) || !Array.isArray(spec.programs)) {
    throw new BpfError('openObject() takes a path, the object bytes, or an ObjectSpec from loadObjectSpec()', {
      code: 'EINVAL',
      hint: 'a spec built or copied by hand is not a shareable blueprint; pass the one loadObjectSpec() returned',
    });
  }
  return spec;
}
