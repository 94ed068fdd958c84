/** process.stdout as the {@link Terminal} a live block draws on, and its resize events. */
import type { Terminal } from './frame';

/** Columns assumed when the terminal reports none (a pty nobody sized reports 0). */
const DEFAULT_COLUMNS = 80;

/** Writes to process.stdout; its width as the terminal reports it now. */
export function stdoutTerminal(): Terminal {
  return { write: (s) => void process.stdout.write(s), columns: () => process.stdout.columns || DEFAULT_COLUMNS };
}

/** Calls `onResize` whenever the terminal changes size; returns the function that stops it. */
export function watchResize(onResize: () => void): () => void {
  process.stdout.on('resize', onResize);
  return () => void process.stdout.removeListener('resize', onResize);
}
