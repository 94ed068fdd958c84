// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** bpf_btf_info decoding, optionally with the raw BTF bytes. */
import { isBpfError } from '../errors';
import type { FdLike, OutTable } from './attr';
import { decodeFields, outBool, outU32 } from './attr';
import { BPF_BTF_INFO } from './abi.generated';
import { objGetInfo } from './obj-info';

/** What the kernel reports about a BTF object. */
export interface BtfInfo {
  id: number;
  /** "vmlinux", a module name, or "" for BTF loaded from user space. */
  name: string;
  /** True for vmlinux and module BTF. */
  kernelBtf: boolean;
  btfSize: number;
  /** Raw BTF bytes, when asked for with `withData`. */
  data?: Buffer;
}

// Module names are at most 56 bytes (MODULE_NAME_LEN).
const NAME_SIZE = 64;

const F = BPF_BTF_INFO.fields;
const table: OutTable<Pick<BtfInfo, 'id' | 'btfSize' | 'kernelBtf'> & { nameLen: number }> = {
  btfSize: outU32(F.btf_size),
  id: outU32(F.id),
  nameLen: outU32(F.name_len),
  kernelBtf: outBool(F.kernel_btf),
};

function query(btf: FdLike, name: Buffer, data?: Buffer): ReturnType<typeof decode> {
  const info = Buffer.alloc(BPF_BTF_INFO.size);
  objGetInfo(btf, info, { name, data });
  return decode(info, name);
}

function decode(info: Buffer, name: Buffer): Omit<BtfInfo, 'data'> & { nameLen: number } {
  const fields = decodeFields(table, info);
  const end = name.indexOf(0);
  return { ...fields, name: name.subarray(0, end < 0 ? name.length : end).toString('utf8') };
}

/**
 * Reads a BTF object's info; with `withData` also its raw bytes (a second call sized
 * from the first).
 * @throws {BpfError} command BPF_OBJ_GET_INFO_BY_FD.
 */
export function btfGetInfo(btf: FdLike, opts: { withData?: boolean } = {}): BtfInfo {
  let name = Buffer.alloc(NAME_SIZE);
  let first;
  try {
    first = query(btf, name);
  } catch (e) {
    // ENOSPC: the name did not fit; the kernel still reported name_len.
    if (!isBpfError(e) || e.code !== 'ENOSPC') throw e;
    name = Buffer.alloc(NAME_SIZE * 16);
    first = query(btf, name);
  }
  const { nameLen: _nameLen, ...result } = first;
  if (opts.withData !== true) return result;
  const data = Buffer.alloc(result.btfSize);
  const second = query(btf, name, data);
  return { ...result, btfSize: second.btfSize, data: data.subarray(0, Math.min(data.length, second.btfSize)) };
}
