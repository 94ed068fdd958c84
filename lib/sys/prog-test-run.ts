/**
 * BPF_PROG_TEST_RUN: runs a loaded program once (or `repeat` times) on input the caller
 * gives, and returns what it produced. The addon checks every Buffer against the sizes in
 * attr; for struct_ops programs (bpf_dummy_ops) it also owns the pointer the kernel reads
 * from ctx_in's first u64 (native/prog_test_run.cc): pass that state as `state`.
 */
import type { AttrLayout, FdLike } from './attr';
import { encodeAttr, getU32 } from './attr';
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
const OFF_RETVAL = 4;
const OFF_DATA_SIZE_OUT = 12;
const OFF_DURATION = 36;
const OFF_CTX_SIZE_OUT = 44;

const layout: AttrLayout<TestRunWire> = {
  size: 76,
  fields: {
    progFd: { offset: 0, kind: 'fd' },
    dataSizeIn: { offset: 8, kind: 'u32' },
    dataSizeOut: { offset: OFF_DATA_SIZE_OUT, kind: 'u32' },
    dataIn: { offset: 16, kind: 'ptr', buffer: 0 },
    dataOut: { offset: 24, kind: 'ptr', buffer: 1 },
    repeat: { offset: 32, kind: 'u32' },
    ctxSizeIn: { offset: 40, kind: 'u32' },
    ctxSizeOut: { offset: OFF_CTX_SIZE_OUT, kind: 'u32' },
    ctxIn: { offset: 48, kind: 'ptr', buffer: 2 },
    ctxOut: { offset: 56, kind: 'ptr', buffer: 3 },
    flags: { offset: 64, kind: 'u32' },
    cpu: { offset: 68, kind: 'u32' },
    batchSize: { offset: 72, kind: 'u32' },
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
    retval: getU32(enc.attr, OFF_RETVAL),
    duration: getU32(enc.attr, OFF_DURATION),
    dataSizeOut: getU32(enc.attr, OFF_DATA_SIZE_OUT),
    ctxSizeOut: getU32(enc.attr, OFF_CTX_SIZE_OUT),
  };
}
