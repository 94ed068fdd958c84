// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * .BTF.ext parser: per-ELF-section func_info, line_info and CO-RE relocation records, as
 * laid out in the kernel's Documentation/bpf/btf.rst ("BTF Ext Section").
 */

import { BpfError, malformed } from '../errors';
import type { BpfErrorContext } from '../errors';
import { INSN_SIZE } from '../asm'; // every insn_off is a multiple of it

/** A func_info record: the BTF FUNC describing the function that starts at `insnOff`. */
export interface BtfExtFuncInfo {
  /** Byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  /** BTF type id of the FUNC. */
  typeId: number;
}

/** A line_info record: the source line of the instruction at `insnOff`. */
export interface BtfExtLineInfo {
  /** Byte offset of the instruction in its ELF section. */
  insnOff: number;
  /** .BTF string offset of the source file name. */
  fileNameOff: number;
  /** .BTF string offset of the source line text. */
  lineOff: number;
  /** Line number << 10 | column; see {@link lineNumber} and {@link lineColumn}. */
  lineCol: number;
}

/** A CO-RE relocation record: how to patch the instruction at `insnOff` for the running kernel. */
export interface BtfExtCoreRelo {
  /** Byte offset of the instruction to patch in its ELF section. */
  insnOff: number;
  /** Local BTF type id the access starts from. */
  typeId: number;
  /** .BTF string offset of the access string. */
  accessStrOff: number;
  /** The access string, e.g. `'0:1'` (member indices) or `'0'` (whole type). */
  accessStr: string;
  /** A {@link CoreReloKind} value; unknown kinds are kept for the CO-RE layer to reject. */
  kind: number;
}

/** A parsed .BTF.ext section. Maps are keyed by ELF section name (e.g. `'tc'`, `'.text'`). */
export interface BtfExt {
  /** Record size declared by the object for func_info (0 when the block is absent). */
  funcInfoRecSize: number;
  /** Record size declared for line_info (0 when absent). */
  lineInfoRecSize: number;
  /** Record size declared for CO-RE relocations (0 when absent). */
  coreReloRecSize: number;
  funcInfo: Map<string, BtfExtFuncInfo[]>;
  lineInfo: Map<string, BtfExtLineInfo[]>;
  coreRelos: Map<string, BtfExtCoreRelo[]>;
}

/** CO-RE relocation kinds (enum bpf_core_relo_kind in UAPI linux/bpf.h). */
export enum CoreReloKind {
  FIELD_BYTE_OFFSET = 0,
  FIELD_BYTE_SIZE = 1,
  FIELD_EXISTS = 2,
  FIELD_SIGNED = 3,
  FIELD_LSHIFT_U64 = 4,
  FIELD_RSHIFT_U64 = 5,
  TYPE_ID_LOCAL = 6,
  TYPE_ID_TARGET = 7,
  TYPE_EXISTS = 8,
  TYPE_SIZE = 9,
  ENUMVAL_EXISTS = 10,
  ENUMVAL_VALUE = 11,
  TYPE_MATCHES = 12,
}

/** Source line number of a line_info `lineCol` (the upper 22 bits). */
export function lineNumber(lineCol: number): number {
  return lineCol >>> 10;
}

/** Source column of a line_info `lineCol` (the low 10 bits). */
export function lineColumn(lineCol: number): number {
  return lineCol & 0x3ff;
}

const BTF_EXT_MAGIC = 0xeb9f;
const BTF_EXT_VERSION = 1;
/** Header up to line_info_len: the oldest layout (kernel 5.0). */
const HEADER_MIN = 24;
/** Header with core_relo_off/len (LLVM 11+). */
const HEADER_WITH_CORE = 32;
const SECTION = '.BTF.ext';

type StringAt = (off: number) => string;

/** What one info block (func_info, line_info, core_relo) looks like. */
interface BlockSpec<T extends { insnOff: number }> {
  name: string;
  /** Size of the record prefix we know; larger sizes are newer layouts, smaller are malformed. */
  knownSize: number;
  /** Decodes the record at `at`; `stringAt` and `rec` are for records holding strings. */
  decode: (data: Buffer, at: number, stringAt: StringAt) => T;
}

const FUNC_INFO: BlockSpec<BtfExtFuncInfo> = {
  name: 'func_info',
  knownSize: 8,
  decode: (d, at) => ({ insnOff: d.readUInt32LE(at), typeId: d.readUInt32LE(at + 4) }),
};

const LINE_INFO: BlockSpec<BtfExtLineInfo> = {
  name: 'line_info',
  knownSize: 16,
  decode: (d, at) => ({
    insnOff: d.readUInt32LE(at),
    fileNameOff: d.readUInt32LE(at + 4),
    lineOff: d.readUInt32LE(at + 8),
    lineCol: d.readUInt32LE(at + 12),
  }),
};

const CORE_RELO: BlockSpec<BtfExtCoreRelo> = {
  name: 'core_relo',
  knownSize: 16,
  decode: (d, at, stringAt) => {
    const accessStrOff = d.readUInt32LE(at + 8);
    return {
      insnOff: d.readUInt32LE(at),
      typeId: d.readUInt32LE(at + 4),
      accessStrOff,
      accessStr: resolveString(stringAt, accessStrOff, 'core_relo access string', at),
      kind: d.readUInt32LE(at + 12),
    };
  },
};

function at(offset: number): Omit<BpfErrorContext, 'code'> {
  return { section: SECTION, offset };
}

/**
 * Parses a .BTF.ext section. Records are grouped per ELF section, whose names (and the
 * CO-RE access strings) are resolved through `stringAt`, the .BTF string table lookup.
 * Records larger than we know are read by their known prefix (newer compilers may append
 * fields); `insnOff` stays a byte offset.
 *
 * @param data - the .BTF.ext section bytes.
 * @param stringAt - returns the .BTF string at an offset; may throw for a bad offset.
 * @throws BpfError (EINVAL) for a bad header, a block or record outside the section, a record
 *   size smaller than the known layout, or an unresolvable string; `section` is `.BTF.ext` and
 *   `offset` is the byte offset inside it.
 * @example
 * ```ts
 * const ext = parseBtfExt(elf.section('.BTF.ext')!.data, (off) => btf.stringAt(off));
 * const relos = ext.coreRelos.get('struct_ops/cc_init') ?? [];
 * ```
 */
export function parseBtfExt(data: Buffer, stringAt: StringAt): BtfExt {
  if (data.length < 8) throw malformed(`${SECTION}: ${data.length} bytes is too short for a header`, at(0));
  const magic = data.readUInt16LE(0);
  if (magic === 0x9feb) throw malformed(`${SECTION}: big-endian BTF.ext is not supported`, at(0));
  if (magic !== BTF_EXT_MAGIC) throw malformed(`${SECTION}: bad magic 0x${magic.toString(16)}`, at(0));
  if (data[2] !== BTF_EXT_VERSION) throw malformed(`${SECTION}: unsupported version ${data[2]}`, at(2));
  // libbpf rejects any flag bit: none is defined, so a set bit means a layout we cannot read.
  if (data[3] !== 0) throw malformed(`${SECTION}: unsupported flags 0x${data[3].toString(16)}`, at(3));
  const hdrLen = data.readUInt32LE(4);
  if (hdrLen < HEADER_MIN || hdrLen > data.length) {
    throw malformed(`${SECTION}: header length ${hdrLen} is outside ${HEADER_MIN}..${data.length}`, at(4));
  }

  const func = parseBlock(data, hdrLen, 8, FUNC_INFO, stringAt);
  const line = parseBlock(data, hdrLen, 16, LINE_INFO, stringAt);
  // The core_relo fields exist only when the header is long enough to hold them.
  const core = hdrLen >= HEADER_WITH_CORE ? parseBlock(data, hdrLen, 24, CORE_RELO, stringAt) : emptyBlock<BtfExtCoreRelo>();
  return {
    funcInfoRecSize: func.recSize,
    lineInfoRecSize: line.recSize,
    coreReloRecSize: core.recSize,
    funcInfo: func.groups,
    lineInfo: line.groups,
    coreRelos: core.groups,
  };
}

interface Block<T> {
  recSize: number;
  groups: Map<string, T[]>;
}

function emptyBlock<T>(): Block<T> {
  return { recSize: 0, groups: new Map() };
}

/**
 * Reads one info block whose (off, len) pair sits at `fieldAt` in the header. The block is
 * a u32 record size followed by groups of {sec_name_off, num_info, records[num_info]}.
 */
function parseBlock<T extends { insnOff: number }>(data: Buffer, hdrLen: number, fieldAt: number, spec: BlockSpec<T>, stringAt: StringAt): Block<T> {
  const off = data.readUInt32LE(fieldAt);
  const len = data.readUInt32LE(fieldAt + 4);
  if (len === 0) return emptyBlock();
  const start = hdrLen + off;
  const end = start + len;
  if (end > data.length) {
    throw malformed(`${SECTION}: ${spec.name} block (offset ${off}, length ${len}) ends past the section (${data.length} bytes)`, at(fieldAt));
  }
  // libbpf requires 4-byte aligned blocks and record sizes: every field is a u32.
  if (off % 4 !== 0) throw malformed(`${SECTION}: ${spec.name} block offset ${off} is not 4-byte aligned`, at(fieldAt));
  if (len < 4) throw malformed(`${SECTION}: ${spec.name} block of ${len} bytes has no record size`, at(start));
  const recSize = data.readUInt32LE(start);
  if (recSize < spec.knownSize || recSize % 4 !== 0) {
    throw malformed(
      `${SECTION}: ${spec.name} record size ${recSize} is invalid (at least ${spec.knownSize}, a multiple of 4)`,
      at(start),
    );
  }

  const groups = new Map<string, T[]>();
  let pos = start + 4;
  while (pos < end) {
    if (end - pos < 8) throw malformed(`${SECTION}: ${spec.name}: truncated section header`, at(pos));
    const nameOff = data.readUInt32LE(pos);
    const count = data.readUInt32LE(pos + 4);
    const name = resolveString(stringAt, nameOff, `${spec.name} section name`, pos);
    if (name === '') throw malformed(`${SECTION}: ${spec.name}: empty section name`, at(pos));
    if (count === 0) throw malformed(`${SECTION}: ${spec.name} for ${name}: no records`, at(pos + 4));
    const first = pos + 8;
    // Compare by division so count * recSize never has to be computed for absurd counts.
    if (count > Math.floor((end - first) / recSize)) {
      throw malformed(
        `${SECTION}: ${spec.name} for ${name}: ${count} records of ${recSize} bytes run past the block end`,
        at(pos + 4),
      );
    }
    const records = groups.get(name) ?? [];
    const decode = spec.decode;
    for (let i = 0, rec = first; i < count; i++, rec += recSize) {
      const value = decode(data, rec, stringAt);
      if (value.insnOff % INSN_SIZE !== 0) checkInsnOff(value.insnOff, spec.name, name, rec);
      records.push(value);
    }
    groups.set(name, records);
    pos = first + count * recSize;
  }
  return { recSize, groups };
}

function checkInsnOff(insnOff: number, block: string, section: string, rec: number): void {
  if (insnOff % INSN_SIZE !== 0) {
    throw malformed(`${SECTION}: ${block} for ${section}: insn_off ${insnOff} is not a multiple of ${INSN_SIZE}`, at(rec));
  }
}

/** Calls the caller's string lookup, turning any failure into a located BpfError. */
function resolveString(stringAt: StringAt, off: number, what: string, recordAt: number): string {
  let value: unknown;
  try {
    value = stringAt(off);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw malformed(`${SECTION}: ${what} at string offset ${off}: ${reason}`, { ...at(recordAt), cause: err });
  }
  if (typeof value !== 'string') {
    throw new BpfError(`${SECTION}: ${what} at string offset ${off} did not resolve to a string`, { ...at(recordAt), code: 'EINVAL' });
  }
  return value;
}
