// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BPF_PROG_TEST_RUN: runs a loaded program once (or `repeat` times) on input the caller
 * gives, and returns what it produced. The addon checks every Buffer against the sizes in
 * attr; for struct_ops programs (bpf_dummy_ops) it also owns the pointer the kernel reads
 * from ctx_in's first u64 (native/prog_test_run.cc): pass that state as `state`.
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, fd, getU32, ptr, u32 } from './attr';
import { BPF_ATTR } from './abi.generated';
import { BpfCmd } from './constants';
import { sysBpf } from './native';

/** What to run, in union bpf_attr.test terms. */
export interface ProgTestRunAttr {
  progFd: FdLike;
  /** Packet/data input (data_in, data_size_in). */
  dataIn?: Buffer;
  /** Where the kernel writes output data; its length is the data_size_out hint. */
  dataOut?: Buffer;
  /** Context input: for tracing, raw_tp, struct_ops and syscall programs the u64 arguments or ctx struct. */
  ctxIn?: Buffer;
  /** Where the kernel writes the output context; its length is ctx_size_out. */
  ctxOut?: Buffer;
  repeat?: number;
  /** BPF_F_TEST_RUN_ON_CPU (1), BPF_F_TEST_XDP_LIVE_FRAMES (2), BPF_F_TEST_SKB_CHECKSUM_COMPLETE (4). */
  flags?: number;
  cpu?: number;
  batchSize?: number;
  /**
   * struct_ops only: the memory ctx_in's first argument points to (struct
   * bpf_dummy_ops_state). Copied in before the run and back into this Buffer after it.
   */
  state?: Buffer;
}

/** What the kernel reported. */
export interface ProgTestRunResult {
  /** The program's return value (u32 as the kernel stores it). */
  retval: number;
  /** Average run time in ns (0 for program types that do not time runs). */
  duration: number;
  /** Bytes of output data the kernel produced (may exceed dataOut's length: then ENOSPC). */
  dataSizeOut: number;
  /** Bytes of output context. */
  ctxSizeOut: number;
}

interface TestRunWire {
  progFd: FdLike;
  dataSizeIn?: number;
  dataSizeOut?: number;
  dataIn?: Buffer;
  dataOut?: Buffer;
  repeat?: number;
  ctxSizeIn?: number;
  ctxSizeOut?: number;
  ctxIn?: Buffer;
  ctxOut?: Buffer;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

// Buffer indices 0-3 match native/checks.h kTestRunDataIn..kTestRunCtxOut; 4 is the state.
const STATE_BUFFER = 4;
const F = BPF_ATTR.test.fields;
const layout: AttrLayout<TestRunWire> = {
  size: BPF_ATTR.test.size,
  fields: {
    progFd: fd(F.prog_fd),
    dataSizeIn: u32(F.data_size_in),
    dataSizeOut: u32(F.data_size_out),
    dataIn: ptr(F.data_in, 0),
    dataOut: ptr(F.data_out, 1),
    repeat: u32(F.repeat),
    ctxSizeIn: u32(F.ctx_size_in),
    ctxSizeOut: u32(F.ctx_size_out),
    ctxIn: ptr(F.ctx_in, 2),
    ctxOut: ptr(F.ctx_out, 3),
    flags: u32(F.flags),
    cpu: u32(F.cpu),
    batchSize: u32(F.batch_size),
  },
};

/** The attr bytes and Buffers BPF_PROG_TEST_RUN receives (sizes taken from the Buffers). */
export function encodeProgTestRunAttr(attr: ProgTestRunAttr) {
  const enc = encodeAttr(BpfCmd.PROG_TEST_RUN, layout, {
    progFd: attr.progFd,
    dataIn: attr.dataIn, dataSizeIn: attr.dataIn?.length,
    dataOut: attr.dataOut, dataSizeOut: attr.dataOut?.length,
    ctxIn: attr.ctxIn, ctxSizeIn: attr.ctxIn?.length,
    ctxOut: attr.ctxOut, ctxSizeOut: attr.ctxOut?.length,
    repeat: attr.repeat, flags: attr.flags, cpu: attr.cpu, batchSize: attr.batchSize,
  });
  if (attr.state) {
    while (enc.buffers.length < STATE_BUFFER) enc.buffers.push(null);
    enc.buffers[STATE_BUFFER] = attr.state;
  }
  return enc;
}

/**
 * Runs a program with BPF_PROG_TEST_RUN.
 * @throws {BpfError} command BPF_PROG_TEST_RUN: EOPNOTSUPP for a program type or
 *   struct_ops type the kernel cannot test-run, EINVAL for a ctx of the wrong size,
 *   ENOSPC when the output did not fit dataOut/ctxOut (the fitting part is written).
 */
export function progTestRun(attr: ProgTestRunAttr): ProgTestRunResult {
  const enc = encodeProgTestRunAttr(attr);
  sysBpf(BpfCmd.PROG_TEST_RUN, enc);
  return {
    retval: getU32(enc.attr, F.retval.offset),
    duration: getU32(enc.attr, F.duration.offset),
    dataSizeOut: getU32(enc.attr, F.data_size_out.offset),
    ctxSizeOut: getU32(enc.attr, F.ctx_size_out.offset),
  };
}
