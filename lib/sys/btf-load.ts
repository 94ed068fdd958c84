// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** BPF_BTF_LOAD, sync and on the libuv pool, with the BTF-log retry. */
import { BpfError, isBpfError } from '../errors';
import type { AttrLayout, EncodedAttr } from './attr';
import { encodeAttr, getU32, ptr, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { Fd } from './fd';
import { sysBpf, sysBpfAsync } from './native';
import type { LoadAttempt, LogRequest } from './verifier-log';
import { loadWithLog, loadWithLogAsync } from './verifier-log';

interface BtfLoadWire {
  btf: Buffer;
  logBuf?: Buffer;
  btfSize: number;
  logSize?: number;
  logLevel?: number;
  /** Output: bytes the full log needs (6.4+). */
  logTrueSize?: number;
}

const F = BPF_ATTR.btf_load.fields;
// Buffer indexes match native/commands.cc: btf data, log.
const layout: AttrLayout<BtfLoadWire> = {
  size: BPF_ATTR.btf_load.size,
  fields: {
    btf: ptr(F.btf, 0),
    logBuf: ptr(F.btf_log_buf, 1),
    btfSize: u32(F.btf_size),
    logSize: u32(F.btf_log_size),
    logLevel: u32(F.btf_log_level),
    logTrueSize: u32(F.btf_log_true_size),
  },
};

function encode(btf: Buffer, log: LogRequest | null): EncodedAttr {
  if (!Buffer.isBuffer(btf)) {
    throw new BpfError('BPF_BTF_LOAD: btf must be a Buffer', { code: 'EINVAL', command: 'BPF_BTF_LOAD' });
  }
  return encodeAttr(BpfCmd.BTF_LOAD, layout, {
    btf,
    btfSize: btf.length,
    logBuf: log?.buf,
    logSize: log?.buf.length,
    logLevel: log?.level,
  });
}

function failed(e: unknown, enc: EncodedAttr): LoadAttempt {
  if (!isBpfError(e)) throw e;
  return { error: e, trueSize: getU32(enc.attr, layout.fields.logTrueSize.offset) };
}

/**
 * Loads raw BTF (header, types, strings). On failure it is retried with a BTF log
 * (level 1) grown until the log fits.
 * @returns the owned BTF fd.
 * @throws {BpfError} command BPF_BTF_LOAD with `verifierLog` holding the kernel's BTF log.
 */
export function btfLoad(btf: Buffer): Fd {
  const fd = loadWithLog(BpfCmd.BTF_LOAD, 1, (log) => {
    const enc = encode(btf, log);
    try {
      return { fd: sysBpf(BpfCmd.BTF_LOAD, enc), trueSize: 0 };
    } catch (e) {
      return failed(e, enc);
    }
  });
  return new Fd(fd);
}

/**
 * {@link btfLoad} on the libuv thread pool.
 * @throws {BpfError} (as a rejection) like {@link btfLoad}.
 */
export async function btfLoadAsync(btf: Buffer): Promise<Fd> {
  const fd = await loadWithLogAsync(BpfCmd.BTF_LOAD, 1, async (log) => {
    const enc = encode(btf, log);
    try {
      return { fd: await sysBpfAsync(BpfCmd.BTF_LOAD, enc), trueSize: 0 };
    } catch (e) {
      return failed(e, enc);
    }
  });
  return new Fd(fd);
}
