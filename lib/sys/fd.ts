// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';

/** Closes a raw fd through the addon; set by the native loader to avoid an import cycle. */
let closeRaw: (fd: number) => void = () => {
  throw new BpfError('native addon not loaded', { code: 'ENOSYS' });
};

/** @internal Installs the close(2) implementation (called by lib/sys/native.ts). */
export function setCloser(fn: (fd: number) => void): void {
  closeRaw = fn;
}

// Safety net only: an Fd that is garbage collected without close() is closed here.
const leaked = new FinalizationRegistry<number>((raw) => {
  try {
    closeRaw(raw);
  } catch {
    // Nothing useful to do in a finalizer.
  }
});

/**
 * An owned kernel file descriptor (BPF map, program, link or BTF object).
 * Exactly one Fd owns a raw descriptor; `close()` releases it once.
 */
export class Fd {
  #raw: number;

  constructor(raw: number) {
    if (!Number.isInteger(raw) || raw < 0) {
      throw new BpfError(`invalid file descriptor ${raw}`, { code: 'EBADF' });
    }
    this.#raw = raw;
    leaked.register(this, raw, this);
  }

  /** The raw descriptor number. Throws EBADF after close(). */
  get raw(): number {
    if (this.#raw < 0) throw new BpfError('file descriptor is closed', { code: 'EBADF' });
    return this.#raw;
  }

  get closed(): boolean {
    return this.#raw < 0;
  }

  /** Closes the descriptor; a second call does nothing. */
  close(): void {
    if (this.#raw < 0) return;
    const raw = this.#raw;
    this.#raw = -1;
    leaked.unregister(this);
    closeRaw(raw);
  }

  /** Gives up ownership: returns the raw fd and forgets it (the caller must close it). */
  disown(): number {
    const raw = this.raw;
    this.#raw = -1;
    leaked.unregister(this);
    return raw;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
