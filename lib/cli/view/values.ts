/** Text forms of values for the plain and terminal views. */
import type { DecodedValue } from '../../index';

/** An integer, bool or string as shown in a table cell. */
export function showValue(v: number | bigint | boolean | string): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A rate per second with one decimal (`-` when there is none yet). */
export function showRate(rate: number | undefined): string {
  if (rate === undefined) return '-';
  return Math.abs(rate) >= 1e6 ? rate.toExponential(2) : rate.toFixed(1);
}

/** A record on one line: `a=1 b.c=2 name="x"`; raw bytes as hex. */
export function showRecord(value: DecodedValue | Buffer): string {
  if (Buffer.isBuffer(value)) return value.toString('hex');
  const parts: string[] = [];
  const walk = (path: string, v: DecodedValue): void => {
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        if (v.every((e) => e === null || typeof e !== 'object')) parts.push(`${path}=[${v.map((e) => show(e)).join(',')}]`);
        else v.forEach((e, i) => walk(`${path}[${i}]`, e));
        return;
      }
      for (const [k, e] of Object.entries(v)) walk(path === '' ? k : `${path}.${k}`, e);
      return;
    }
    parts.push(path === '' ? show(v) : `${path}=${show(v)}`);
  };
  walk('', value);
  return parts.join(' ');
}

function show(v: DecodedValue): string {
  if (v === null) return 'null';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** `1.5 s`, `2 min 03 s`. */
export function showElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
}
