// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * `BpfProgram.testRun()`: turns Node-friendly options into a BPF_PROG_TEST_RUN call and
 * its result into Buffers. The u64 argument list form covers the program types whose
 * context is their arguments (struct_ops, fentry/fexit, raw_tp), where a Buffer as the
 * first argument of a struct_ops program is the state the kernel copies in and out.
 */
import { BpfError } from '../errors';
import { BpfProgType, LITTLE_ENDIAN, progTestRun, type Fd } from '../sys';

/** One u64 argument: a number, a bigint (negative values are two's complement), or a Buffer. */
export type TestRunArg = number | bigint | Buffer;

/** Options of {@link BpfProgram.testRun}. */
export interface TestRunOptions {
  /**
   * The context: raw bytes (a syscall program's ctx struct), or the program's u64
   * arguments. For a struct_ops program the first argument may be a Buffer: the kernel
   * copies it in as `struct bpf_dummy_ops_state` and the result back into the same Buffer.
   */
  ctxIn?: Buffer | readonly TestRunArg[];
  /** Bytes to reserve for the output context. @defaultValue no output context */
  ctxOut?: number;
  /** Input data (packet) for the program types that take one. */
  dataIn?: Buffer;
  /** Bytes to reserve for output data. @defaultValue no output data */
  dataOut?: number;
  /** Run this many times (duration is the average). @defaultValue 1 (kernel default for 0) */
  repeat?: number;
  /** BPF_F_TEST_* flags, e.g. BPF_F_TEST_RUN_ON_CPU (1) together with `cpu`. */
  flags?: number;
  cpu?: number;
}

/** What a test run produced. */
export interface TestRunResult {
  /** The program's return value as the kernel reports it (u32; `retval | 0` for a signed int). */
  retval: number;
  /** Average run time in nanoseconds (0 for types the kernel does not time, like struct_ops). */
  duration: number;
  /** Output context (ctxOut bytes requested; trimmed to what the kernel wrote). */
  ctxOut?: Buffer;
  /** Output data (dataOut bytes requested; trimmed to what the kernel wrote). */
  dataOut?: Buffer;
}

const LE = LITTLE_ENDIAN;
const U64 = (1n << 64n) - 1n;

function argValue(arg: number | bigint, index: number, program: string): bigint {
  const big = typeof arg === 'number' && Number.isSafeInteger(arg) ? BigInt(arg) : arg;
  if (typeof big !== 'bigint' || big < -(1n << 63n) || big > U64) {
    throw new BpfError(`program ${program}: testRun ctxIn[${index}] must be an integer that fits 64 bits, got ${String(arg)}`, {
      code: 'EINVAL', program,
    });
  }
  return big & U64;
}

function encodeArgs(args: readonly TestRunArg[], progType: number, program: string): { ctx: Buffer; state?: Buffer } {
  const ctx = Buffer.alloc(args.length * 8);
  let state: Buffer | undefined;
  args.forEach((arg, i) => {
    if (Buffer.isBuffer(arg)) {
      // The kernel dereferences only args[0] of a struct_ops test run (bpf_dummy_ops);
      // any other pointer would be a user address the program cannot use.
      if (i !== 0 || progType !== BpfProgType.STRUCT_OPS) {
        throw new BpfError(`program ${program}: testRun ctxIn[${i}] is a Buffer; only the first argument of a struct_ops program can point to memory`, {
          code: 'EINVAL', program,
          hint: 'pass numbers for scalar arguments; pass raw context bytes as a Buffer ctxIn instead of an array',
        });
      }
      state = arg;
      return;
    }
    const v = argValue(arg, i, program);
    if (LE) ctx.writeBigUInt64LE(v, i * 8);
    else ctx.writeBigUInt64BE(v, i * 8);
  });
  return { ctx, state };
}

function sizeOf(value: number | undefined, what: string, program: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0 || value > 0xffff_ffff) {
    throw new BpfError(`program ${program}: testRun ${what} must be a positive byte count, got ${String(value)}`, { code: 'EINVAL', program });
  }
  return value;
}

/**
 * Runs a loaded program once (or `repeat` times) with BPF_PROG_TEST_RUN.
 * @throws {BpfError} EINVAL for bad options; the kernel's error (EOPNOTSUPP for a type it
 *   cannot test-run) with command BPF_PROG_TEST_RUN otherwise.
 */
export function testRunProgram(fd: Fd, progType: number, program: string, options: TestRunOptions): TestRunResult {
  const { ctxIn } = options;
  let ctx: Buffer | undefined;
  let state: Buffer | undefined;
  if (Buffer.isBuffer(ctxIn)) ctx = ctxIn;
  else if (Array.isArray(ctxIn)) ({ ctx, state } = encodeArgs(ctxIn as readonly TestRunArg[], progType, program));
  else if (ctxIn !== undefined) {
    throw new BpfError(`program ${program}: testRun ctxIn must be a Buffer or an array of arguments`, { code: 'EINVAL', program });
  }
  const ctxOutLen = sizeOf(options.ctxOut, 'ctxOut', program);
  const dataOutLen = sizeOf(options.dataOut, 'dataOut', program);
  const ctxOut = ctxOutLen === undefined ? undefined : Buffer.alloc(ctxOutLen);
  const dataOut = dataOutLen === undefined ? undefined : Buffer.alloc(dataOutLen);
  try {
    const r = progTestRun({
      progFd: fd, ctxIn: ctx && ctx.length > 0 ? ctx : undefined, ctxOut, dataIn: options.dataIn, dataOut,
      repeat: options.repeat, flags: options.flags, cpu: options.cpu, state,
    });
    const out: TestRunResult = { retval: r.retval, duration: r.duration };
    if (ctxOut) out.ctxOut = ctxOut.subarray(0, Math.min(r.ctxSizeOut, ctxOut.length));
    if (dataOut) out.dataOut = dataOut.subarray(0, Math.min(r.dataSizeOut, dataOut.length));
    return out;
  } catch (err) {
    if (err instanceof BpfError) {
      const e = err as { program?: string; hint?: string; message: string };
      e.program = program;
      e.message = `program ${program}: ${err.message}`;
      if (err.code === 'EOPNOTSUPP' && progType === BpfProgType.STRUCT_OPS) {
        e.hint = 'the kernel test-runs struct_ops programs of bpf_dummy_ops only; other families run when the kernel calls them';
      } else if (err.code === 'EINVAL' && progType === BpfProgType.STRUCT_OPS) {
        e.hint ??= 'a struct_ops test run takes exactly one u64 per argument of the member (ctxIn.length must match)';
      }
    }
    throw err;
  }
}
