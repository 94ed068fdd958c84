/**
 * The addon's ring buffer and mmap entry points (native/ringbuf.cc, native/mapped.cc),
 * typed. Each starts from a map handle; the addon checks the map type and every length
 * and position it reads from the shared pages.
 */
import type { NativeMapHandle } from './map-handle';
import { mapAddon } from './map-handle';
import { BpfError } from '../errors';

declare const readerBrand: unique symbol;
declare const writerBrand: unique symbol;
/** Opaque native ring buffer consumer. */
export type NativeRingReader = { readonly [readerBrand]: true };
/** Opaque native user ring buffer producer. */
export type NativeRingWriter = { readonly [writerBrand]: true };

interface RingAddon {
  ringbufOpen(h: NativeMapHandle): NativeRingReader;
  ringbufRead(r: NativeRingReader, out: Buffer, maxRecords: number): number;
  ringbufCommit(r: NativeRingReader, bytes: number): void;
  /** Copies published records into `data`: their count, or -(bytes needed) when the first does not fit. */
  ringbufReadBatch(r: NativeRingReader, data: Buffer, offsets: Uint32Array, lengths: Uint32Array, maxRecords: number): number;
  /** Moves the consumer position past the records of the last ringbufReadBatch. */
  ringbufReleaseBatch(r: NativeRingReader): void;
  ringbufWait(r: NativeRingReader, callback: (errno: number) => void): void;
  ringbufClose(r: NativeRingReader): void;
  userRingbufOpen(h: NativeMapHandle): NativeRingWriter;
  userRingbufSubmit(w: NativeRingWriter, data: Buffer): number;
  userRingbufClose(w: NativeRingWriter): void;
  mapMmap(h: NativeMapHandle, length: number, addrHint: bigint): ArrayBuffer;
  mapUnmap(buffer: ArrayBuffer): void;
  /** Address of a mapMmap() mapping (0n after mapUnmap). */
  mapAddress(buffer: ArrayBuffer): bigint;
}

/** The ring/mmap functions of the addon. */
export function ringAddon(): RingAddon {
  return mapAddon<RingAddon>();
}

/**
 * Runs `fn` on the addon; what it throws becomes a BpfError saying `what` failed.
 * @throws {BpfError} with the errno the addon reported (EINVAL for a wrong map type, ...)
 */
export function callRingAddon<T>(what: string, fn: (addon: RingAddon) => T): T {
  try {
    return fn(ringAddon());
  } catch (e) {
    if (e instanceof BpfError) throw e;
    const { code, errno, detail, message } = e as { code?: string; errno?: number; detail?: string; message?: string };
    throw new BpfError(`${what}: ${detail ?? message ?? String(e)}${code ? ` (${code})` : ''}`, {
      code: code ?? 'EINVAL', errno, cause: e,
    });
  }
}
