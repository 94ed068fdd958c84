/**
 * The view when stdout is not a terminal (a pipe, a file, journald): plain lines, appended,
 * never rewritten. Each refresh prints one line per counter, prefixed by the elapsed time,
 * so `grep NAME` follows one counter.
 */
import type { EndReport, EventRecord, LiveView, Registration, Snapshot } from './model';
import { endLines, registrationText } from './table';
import { showRate, showRecord, showValue } from './values';

export class PlainView implements LiveView {
  readonly #out: (line: string) => void;

  constructor(out: (line: string) => void) {
    this.#out = out;
  }

  started(file: string, registrations: Registration[], intervalMs: number): void {
    this.#out(`struct-ops run ${file}: registered ${registrations.length} map${registrations.length === 1 ? '' : 's'}, ` +
      `reading every ${intervalMs / 1000} s`);
    for (const r of registrations) this.#out(`registered ${registrationText(r)}`);
  }

  refresh(s: Snapshot): void {
    const t = `${(s.elapsedMs / 1000).toFixed(1)}s`;
    const nameWidth = Math.max(0, ...s.rows.map((r) => r.group.length + 1 + r.name.length));
    for (const r of s.rows) {
      const rate = typeof r.value === 'number' || typeof r.value === 'bigint' ? ` ${showRate(r.rate)}/s` : '';
      this.#out(`${t} ${`${r.group} ${r.name}`.padEnd(nameWidth)} ${showValue(r.value)}${rate}`);
    }
  }

  event(record: EventRecord): void {
    this.#out(`event ${record.map} ${showRecord(record.value)}`);
  }

  /** Prints the final values (read after detaching), then why the run ended. */
  ended(report: EndReport, last: Snapshot): void {
    this.refresh(last);
    for (const line of endLines(report)) this.#out(line);
  }

  close(): void {
    // nothing to restore
  }
}
