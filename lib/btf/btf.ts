// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A parsed BTF blob (object, vmlinux or module) with type lookups. Parsing is one scan
 * that records where each record starts (for the kernel's BTF, only as far as lookups
 * need); records are decoded on first use and cached, so the 125k-type kernel BTF costs
 * little more than reading the part of it that is used.
 */
import { BpfError, malformed } from '../errors';
import { decodeType, VOID_TYPE, type DecodeContext } from './decode';
import { parseHeader } from './header';
import { toKind } from './kinds';
import { alignOf, MAX_TYPE_CHAIN, sizeOf } from './layout';
import { IndexedNames, IndexedTable, type BlockCheck, type StaleIndexHandler } from './indexed';
import { NameIndex, type NameLookup } from './name-index';
import { firstSuspect } from './precheck';
import { StringTable } from './strings';
import type { LazyRange } from './progressive';
import { TypeTable, type RecordTable } from './type-table';
import { VmlinuxIndex } from './vmlinux-index';
import { typeName } from './type-name';
import { BtfKind, type BtfKindName, type BtfMember, type BtfType } from './types';

/** Options of {@link Btf.parse}. */
export interface BtfParseOptions {
  /** Base BTF when `data` is split BTF (a kernel module's); ids and strings continue after it. */
  base?: Btf;
  /** Name used in error messages (file or module name). @defaultValue `'btf'` */
  name?: string;
  /**
   * Decode records only when asked for. Lazy parsing checks record layout up front but
   * reports bad names or references on first access. @defaultValue false (decode and
   * check everything now, which suits small object BTF)
   */
  lazy?: boolean;
  /**
   * Hand out frozen types: each type (its members, enumerators, parameters and DATASEC
   * entries too) is frozen when first decoded, so a write throws a TypeError instead of
   * changing the type for everyone who shares this Btf. An ObjectSpec's BTF is parsed so.
   * @defaultValue false
   */
  freezeTypes?: boolean;
}

/** @internal The sections of a blob that are read on demand (see {@link Btf.parsePartial}). */
export interface LazyRegions {
  types: LazyRange;
  strings: LazyRange;
}

/** @internal A checked name index to use for a lazily read blob (see {@link Btf.parseIndexed}). */
export interface IndexedRegions extends LazyRegions {
  index: VmlinuxIndex;
  /** Called when the blob contradicts the index, before the error is thrown. */
  onStale: StaleIndexHandler;
  /** Proves index blocks on the blob where it lies (a mapping), without reading them here. */
  checkBlocks?: BlockCheck;
}

/** Kinds skipped by {@link Btf.skipModifiers}. */
const QUALIFIERS: ReadonlySet<BtfKind> = new Set([BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG]);

// Type records are read through a Uint32Array, which uses host byte order.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parsed BTF with lookups by id and name, layout helpers and C spelling.
 * Returned BtfType objects are shared and cached: treat them as read-only (copy them into a
 * BtfBuilder to change anything).
 *
 * @example
 * const vmlinux = loadKernelBtf();
 * const ops = vmlinux.findByName('tcp_congestion_ops', 'struct');
 */
export class Btf {
  /** Name used in error messages. */
  readonly name: string;
  /** The base BTF for split BTF. */
  readonly base?: Btf;
  /** First id this blob defines: 1 for a base BTF (0 is void), base.typeCount for split BTF. */
  readonly startId: number;
  /** Total string bytes addressable, including the base's. */
  readonly stringsLength: number;

  private readonly data: Buffer;
  private readonly table: RecordTable;
  private readonly cache: (BtfType | undefined)[];
  private readonly ctx: DecodeContext;
  private index: NameLookup;
  /** Strings containing `___`, when a name index listed them (see stringsWithPrefix). */
  private flavored: readonly string[] | undefined;

  private readonly regions: LazyRegions | undefined;
  private readonly freezeTypes: boolean;

  private constructor(input: Buffer, opts: BtfParseOptions, regions?: LazyRegions | IndexedRegions) {
    this.name = opts.name ?? 'btf';
    if (!HOST_LE) throw new BpfError('btf: big-endian hosts are not supported', { code: 'ENOTSUP' });
    if (opts.base) this.base = opts.base;
    const hdr = parseHeader(input, this.name);
    // A lazily read blob is allocated aligned by its reader, so it is never copied here.
    const data = regions ? input : alignTypes(input, hdr.typeStart);
    this.data = data;
    this.regions = regions;
    this.freezeTypes = opts.freezeTypes === true;
    // Split BTF ids start after the base's last id, so the base has to be complete.
    opts.base?.completeAsBase();
    const base = opts.base?.ctx.strings;
    const strings = new StringTable(data, hdr.strStart, hdr.strLen, base, this.name, regions?.strings);
    this.startId = opts.base ? opts.base.typeCount : 1;
    this.stringsLength = strings.totalLength;
    let names: NameLookup;
    if (regions && 'index' in regions) {
      const table = new IndexedTable(
        data, hdr.typeStart, hdr.typeLen, this.startId, this.name, regions.types, regions.strings, regions.index,
        regions.onStale, regions.checkBlocks);
      this.table = table;
      names = new IndexedNames(table, strings, regions.index);
      this.flavored = regions.index.flavored;
    } else {
      const table = new TypeTable(data, hdr.typeStart, hdr.typeLen, this.startId, this.name, regions?.types);
      this.table = table;
      names = new NameIndex(table, strings);
    }
    this.cache = [];
    const table = this.table;
    const startId = this.startId;
    // Until the whole table is scanned, references are checked against the most types it could hold.
    this.ctx = {
      data,
      words: table.words,
      typeStart: hdr.typeStart,
      strings,
      get typeCount() {
        return startId + table.upperBound();
      },
      name: this.name,
    };
    this.index = names;
  }

  /** Highest id + 1, including the base's types. (Completes a lazy scan.) */
  get typeCount(): number {
    this.table.finish();
    return this.startId + this.table.count;
  }

  /** The bytes parsed. (Completes reading a lazily read kernel BTF.) */
  get raw(): Buffer {
    this.complete();
    return this.data;
  }

  /** Reads and scans whatever a lazily read blob has not yet. */
  private complete(): void {
    this.regions?.strings.complete();
    this.regions?.types.complete();
    this.table.finish();
  }

  /**
   * Gets ready to be the base of split BTF: its ids must be final. An indexed blob knows
   * them without reading anything; others are read in full, as before.
   */
  private completeAsBase(): void {
    if (this.table instanceof IndexedTable) return;
    this.complete();
  }

  /**
   * @internal Builds a name index over this blob's own records (reading all of it), and
   * answers later name lookups through it.
   */
  buildIndex(): VmlinuxIndex {
    this.complete();
    const table = this.table;
    if (!(table instanceof TypeTable)) throw new Error('buildIndex: blob is already indexed');
    const hdr = parseHeader(this.data, this.name);
    const index = VmlinuxIndex.build(
      table.words, table.offsets, table.count, this.startId, this.data, hdr.strStart, hdr.strLen);
    this.index = new IndexedNames(table, this.ctx.strings, index);
    this.flavored = index.flavored;
    return index;
  }

  /**
   * Parses a BTF blob.
   *
   * @param data - raw BTF (a `.BTF` section or a /sys/kernel/btf file); kept, not copied, so
   *   do not modify it afterwards
   * @param opts - base BTF for split BTF, a name for errors, lazy decoding
   * @returns the parsed BTF
   * @throws BpfError (EINVAL) naming the type id and byte offset of the first malformed record
   * @example
   * const btf = Btf.parse(readFileSync('prog.BTF'), { name: 'prog.bpf.o' });
   */
  static parse(data: Buffer, opts: BtfParseOptions = {}): Btf {
    const btf = new Btf(data, opts);
    btf.table.finish();
    if (!opts.lazy) btf.checkAll();
    return btf;
  }

  /**
   * Checks every record now, as decoding would. A quick pass over the raw words finds the
   * records decoding could reject, and only those are decoded here (in id order, so the
   * first bad one throws its own error); the rest are decoded when first used.
   */
  private checkAll(): void {
    const table = this.table;
    if (this.base || !(table instanceof TypeTable)) {
      for (let id = this.startId; id < this.startId + table.count; id++) this.typeById(id);
      return;
    }
    const count = this.typeCount;
    const strLen = this.stringsLength;
    for (let i = firstSuspect(table, 0, count, strLen); i >= 0; i = firstSuspect(table, i + 1, count, strLen)) {
      this.typeById(this.startId + i);
    }
  }

  /**
   * @internal Parses a blob whose type and string sections are still being read: the
   * regions read more on demand. Used for the kernel's BTF, so a lookup reads sysfs only as
   * far as it needs. `data` must already hold the header and be allocated 4-byte aligned.
   */
  static parsePartial(data: Buffer, regions: LazyRegions, opts: BtfParseOptions = {}): Btf {
    return new Btf(data, { ...opts, lazy: true }, regions);
  }

  /**
   * @internal Like {@link parsePartial}, with a checked {@link VmlinuxIndex} for the blob:
   * records and names are found through it, so nothing is scanned and only the pages that
   * are decoded or compared are read.
   */
  static parseIndexed(data: Buffer, regions: IndexedRegions, opts: BtfParseOptions = {}): Btf {
    return new Btf(data, { ...opts, lazy: true }, regions);
  }

  /**
   * Returns the type with this id (0 is void); ids below startId come from the base.
   *
   * @throws BpfError (EINVAL, typeId set) for an id out of range or a malformed record
   */
  typeById(id: number): BtfType {
    const i = id - this.startId;
    if (i >= 0 && Number.isInteger(i)) {
      const hit = this.cache[i];
      if (hit) return hit;
      const table = this.table;
      if (i >= table.count) table.ensure(i + 1);
      if (i < table.count) {
        const t = decodeType(this.ctx, id, table.byteOffset(i));
        // Frozen once, when decoded: every later lookup hands out the same frozen object.
        return (this.cache[i] = this.freezeTypes ? freezeType(t) : t);
      }
    }
    if (id === 0) return VOID_TYPE;
    if (this.base && Number.isInteger(id) && id > 0 && id < this.startId) return this.base.typeById(id);
    throw malformed(`btf ${this.name}: type id ${id} out of range (1..${this.typeCount - 1})`, { typeId: id });
  }

  /**
   * @internal Own type ids of the given kinds, ascending, read from the records in one
   * pass without decoding anything (so a caller interested in a few kinds does not pay for
   * decoding, or even calling into, every type).
   */
  idsOfKinds(kinds: readonly BtfKind[]): number[] {
    let mask = 0;
    for (const k of kinds) mask |= 1 << k;
    const table = this.table;
    table.finish();
    const ids: number[] = [];
    if (table instanceof TypeTable) {
      const { words, offsets, count } = table;
      for (let i = 0; i < count; i++) {
        if ((mask >>> ((words[offsets[i] + 1] >>> 24) & 0x1f)) & 1) ids.push(this.startId + i);
      }
    } else {
      for (let i = 0; i < table.count; i++) if ((mask >>> table.kindAt(i)) & 1) ids.push(this.startId + i);
    }
    return ids;
  }

  /**
   * @internal The kind of own type `id`, read from its record without decoding it.
   *
   * @throws BpfError (EINVAL) for an id that is not one of this blob's own types
   */
  kindOf(id: number): BtfKind {
    const hit = this.cache[id - this.startId];
    if (hit) return hit.kind;
    this.recordOffset(id);
    return this.table.kindAt(id - this.startId) as BtfKind;
  }

  /**
   * @internal Absolute byte offset in {@link raw} of the record of own type `id`.
   *
   * @throws BpfError (EINVAL) for an id that is not one of this blob's own types
   */
  recordOffset(id: number): number {
    const i = id - this.startId;
    if (!(i >= 0 && Number.isInteger(i))) throw malformed(`btf ${this.name}: type id ${id} is not an own type`, { typeId: id });
    const table = this.table;
    if (i >= table.count) table.ensure(i + 1);
    if (i >= table.count) throw malformed(`btf ${this.name}: type id ${id} out of range`, { typeId: id });
    return table.byteOffset(i);
  }

  /**
   * Returns the string at a string-section offset; offsets below the own section resolve
   * in the base BTF.
   *
   * @throws BpfError (EINVAL) when the offset is out of range
   */
  stringAt(off: number): string {
    return this.ctx.strings.stringAt(off);
  }

  /**
   * Finds the first type with this name (and kind), in id order: base types first.
   *
   * @param name - type name, e.g. `'tcp_congestion_ops'`
   * @param kind - kind filter, e.g. `'struct'` or `BtfKind.STRUCT`
   * @param opts - `ownOnly`: skip the base (libbpf searches only a module's own types for
   *   struct_ops value types)
   */
  findByName(name: string, kind?: BtfKind | BtfKindName, opts: { ownOnly?: boolean } = {}): BtfType | undefined {
    const k = kind === undefined ? -1 : toKind(kind);
    const fromBase = this.base && !opts.ownOnly ? this.base.findByName(name, kind) : undefined;
    if (fromBase) return fromBase;
    const id = this.index.first(name, k);
    return id === undefined ? undefined : this.typeById(id);
  }

  /**
   * Distinct type/member names in this BTF's own string section starting with `prefix`
   * (e.g. the `tcp_sock___` flavors CO-RE must consider). Cheap: one native byte search.
   */
  stringsWithPrefix(prefix: string): string[] {
    // A name index lists every string with a flavor separator, so those need no search.
    // A cached index may have been replaced by one rebuilt from the blob: ask the table.
    const flavored = this.table instanceof IndexedTable ? this.table.index.flavored : this.flavored;
    if (flavored !== undefined && prefix.includes('___')) return flavored.filter((s) => s.startsWith(prefix));
    return this.ctx.strings.stringsWithPrefix(prefix);
  }

  /**
   * Finds all types with this name (and kind), in id order: base types first.
   *
   * @param name - type name
   * @param kind - kind filter
   * @param opts - `ownOnly`: skip the base
   */
  findAllByName(name: string, kind?: BtfKind | BtfKindName, opts: { ownOnly?: boolean } = {}): BtfType[] {
    const k = kind === undefined ? -1 : toKind(kind);
    const fromBase = this.base && !opts.ownOnly ? this.base.findAllByName(name, kind) : [];
    return fromBase.concat(this.index.all(name, k).map((id) => this.typeById(id)));
  }

  /**
   * Follows CONST/VOLATILE/RESTRICT/TYPE_TAG and returns the first other type's id.
   *
   * @throws BpfError (EINVAL) for an out-of-range id or a cycle
   */
  skipModifiers(id: number): number {
    return this.follow(id, false);
  }

  /**
   * Follows qualifiers and typedefs and returns the underlying type.
   *
   * @throws BpfError (EINVAL) for an out-of-range id or a cycle
   */
  resolve(id: number): BtfType {
    return this.typeById(this.follow(id, true));
  }

  private follow(id: number, typedefs: boolean): number {
    for (let depth = 0; depth <= MAX_TYPE_CHAIN; depth++) {
      const t = this.typeById(id);
      if (!QUALIFIERS.has(t.kind) && !(typedefs && t.kind === BtfKind.TYPEDEF)) return id;
      id = (t as { type: number }).type;
    }
    throw malformed(`btf ${this.name}: modifier chain at type ${id} too long (cycle?)`, { typeId: id });
  }

  /**
   * Byte size of a type (pointers 8, arrays nelems * element, through typedefs).
   *
   * @throws BpfError (EINVAL) for void, functions and other types without a size
   */
  sizeOf(id: number): number {
    return sizeOf(this, id);
  }

  /**
   * Alignment of a type in bytes (1 for packed structs).
   *
   * @throws BpfError (EINVAL) for types without a layout
   */
  alignOf(id: number): number {
    return alignOf(this, id);
  }

  /**
   * Finds a direct member of a struct or union (after resolving typedefs/qualifiers).
   * Members of anonymous nested structs are not searched.
   *
   * @returns the member and its index (the kernel's struct_ops member index), or undefined
   * @throws BpfError (EINVAL) when `structId` is not a struct or union
   */
  memberByName(structId: number, name: string): { member: BtfMember; index: number } | undefined {
    const t = this.resolve(structId);
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) {
      throw malformed(`btf ${this.name}: type ${structId} is not a struct or union`, { typeId: structId });
    }
    const index = t.members.findIndex((m) => m.name === name);
    return index < 0 ? undefined : { member: t.members[index], index };
  }

  /**
   * C spelling of a type: `'struct sock *'`, `'unsigned int'`, `'u32 (*)(struct sock *)'`.
   *
   * @throws BpfError (EINVAL) for an out-of-range id or a cycle
   */
  typeName(id: number): string {
    return typeName(this, id);
  }

  /**
   * Iterates this blob's own types in id order (not the base's).
   *
   * @throws BpfError (EINVAL) when a lazily parsed record is malformed
   */
  *types(): Iterable<BtfType> {
    for (let id = this.startId; id < this.typeCount; id++) yield this.typeById(id);
  }
}

/**
 * Returns `data`, or a copy of it placed so that the type section is 4-byte aligned in
 * memory (Uint32Array views need that; an ELF section can start anywhere).
 */
function alignTypes(data: Buffer, typeStart: number): Buffer {
  if ((data.byteOffset + typeStart) % 4 === 0) return data;
  // allocUnsafeSlow gives a fresh, aligned ArrayBuffer; pad so typeStart lands on a word.
  const pad = (4 - (typeStart % 4)) % 4;
  const copy = Buffer.allocUnsafeSlow(data.length + pad);
  data.copy(copy, pad);
  return copy.subarray(pad);
}

/** Freezes a decoded type and the records in its arrays (they are plain data, one level deep). */
function freezeType(t: BtfType): BtfType {
  const list = 'members' in t ? t.members : 'values' in t ? t.values : 'params' in t ? t.params : 'vars' in t ? t.vars : undefined;
  if (list !== undefined) {
    for (const record of list) Object.freeze(record);
    Object.freeze(list);
  }
  return Object.freeze(t);
}
