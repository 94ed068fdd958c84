// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Cleanup that must run when the demo is interrupted (Ctrl-C, SIGTERM, a closed terminal):
 * Node's default for these signals is to die at once, running no `finally` and no 'exit'
 * hook, so anything outside the process (a network namespace, a child process) would be
 * left behind. While at least one cleanup is registered, these signals run every cleanup,
 * synchronously, and then take their default course again (the process dies of the signal,
 * so the shell still sees 130 / 143).
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const cleanups = new Set<() => void>();

function onSignal(signal: NodeJS.Signals): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Dying anyway: the other cleanups must still run.
    }
  }
  cleanups.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

/**
 * Registers `cleanup` (synchronous, safe to call when there is nothing left to do) to run on
 * SIGINT/SIGTERM/SIGHUP. Returns the function that unregisters it; call it in `finally`
 * once the normal path has cleaned up.
 */
export function onInterrupt(cleanup: () => void): () => void {
  if (cleanups.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
}
