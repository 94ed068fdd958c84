/**
 * SIGINT, SIGTERM and SIGHUP (the terminal went away) as a request to stop: while a run holds registrations, the signals
 * only record that they came, so the run can detach everything before the process ends.
 * Afterwards the signal is raised again with its default action, so the parent (a shell,
 * systemd, the kubelet) sees the process ended by that signal (status 128+N), as usual.
 */
import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export class StopRequests {
  #signal: StopSignal | undefined;
  #listeners: ((s: StopSignal) => void)[] = [];
  readonly #handlers: [StopSignal, () => void][];

  constructor() {
    this.#handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, () => this.#received(s)]);
    for (const [s, h] of this.#handlers) process.on(s, h);
  }

  /** The first signal received, if any. */
  get signal(): StopSignal | undefined {
    return this.#signal;
  }

  /** Calls `fn` on the first signal (at once if one already came). */
  onStop(fn: (s: StopSignal) => void): void {
    if (this.#signal) fn(this.#signal);
    else this.#listeners.push(fn);
  }

  /** Removes the handlers: a signal now has its default effect again. Idempotent. */
  dispose(): void {
    for (const [s, h] of this.#handlers) process.removeListener(s, h);
    this.#handlers.length = 0;
  }

  /**
   * Ends the process by the signal received (after dispose()), as if unhandled. Returns the
   * shell-style status 128+N for the case the signal is still blocked or ignored.
   */
  reraise(): number {
    const s = this.#signal!;
    this.dispose();
    process.kill(process.pid, s);
    return 128 + constants.signals[s];
  }

  #received(s: StopSignal): void {
    if (this.#signal) return; // a second Ctrl-C while detaching changes nothing
    this.#signal = s;
    for (const fn of this.#listeners.splice(0)) fn(s);
  }
}

/** Shell-style status for a signal: 130 for SIGINT, 143 for SIGTERM. */
export function signalStatus(s: StopSignal): number {
  return 128 + constants.signals[s];
}
