/**
 * `--json`: one JSON object per line (snake_case keys, 64-bit integers as exact digits):
 * `registered` once, `interval` per refresh, `event` per ring buffer record, `ended` last.
 */
import { toJson } from '../format/json';
import type { EndReport, EventRecord, LiveView, Registration, Snapshot } from './model';

export class JsonView implements LiveView {
  readonly #write: (line: string) => void;
  readonly #indent: number;

  /** `indent` > 0 (-p) indents each object over several lines. */
  constructor(write: (line: string) => void, indent = 0) {
    this.#write = write;
    this.#indent = indent;
  }

  #out(value: object): void {
    this.#write(toJson(value, this.#indent));
  }

  started(file: string, registrations: Registration[], intervalMs: number): void {
    this.#out({
      type: 'registered', object: file, interval_s: intervalMs / 1000,
      maps: registrations.map((r) => ({
        map: r.map, kernel_struct_ops: r.kernelStructOps, name: r.opsName, map_id: r.mapId, link_id: r.linkId,
        legacy: r.linkId === undefined,
      })),
    });
  }

  refresh(s: Snapshot): void {
    this.#out({ type: 'interval', elapsed_s: s.elapsedMs / 1000, ...valuesOf(s) });
  }

  event(record: EventRecord): void {
    this.#out({ type: 'event', map: record.map, record: record.value });
  }

  /** The end, with the final values (read after detaching). */
  ended(report: EndReport, last: Snapshot): void {
    const x = report.exitInfo;
    this.#out({
      type: 'ended', reason: report.reason, message: report.message, signal: report.signal,
      exit_info: x && { kind: x.kind, kind_name: x.kindName, exit_code: x.exitCode, reason: x.reason, message: x.message },
      exit_status: report.exitStatus, elapsed_s: last.elapsedMs / 1000, ...valuesOf(last),
    });
  }

  close(): void {
    // nothing to restore
  }
}

/** `values` and `rates_per_s` keyed by section or map, then variable (or slot) name. */
function valuesOf(s: Snapshot): { values: object; rates_per_s: object; skipped: string[] } {
  const values: Record<string, Record<string, unknown>> = {};
  const rates: Record<string, Record<string, number>> = {};
  for (const r of s.rows) {
    (values[r.group] ??= {})[r.name] = r.value;
    if (r.rate !== undefined) (rates[r.group] ??= {})[r.name] = Math.round(r.rate * 1000) / 1000;
  }
  return { values, rates_per_s: rates, skipped: s.skipped };
}
