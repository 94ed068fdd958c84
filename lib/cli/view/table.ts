/** The counter table shared by the terminal and plain views: rows grouped by map/section. */
import type { Row } from './rates';
import type { Line } from './style';
import type { EndReport, Registration } from './model';
import { showRate, showValue } from './values';

/** `s15_run_link  tcp_congestion_ops s15_run  map 12 link 7` (legacy: `map 12 legacy`). */
export function registrationText(r: Registration): string {
  const ops = r.opsName ? ` ${r.opsName}` : '';
  const how = r.linkId === undefined ? 'legacy' : `link ${r.linkId}`;
  return `${r.map}  ${r.kernelStructOps}${ops}  map ${r.mapId}  ${how}`;
}

/**
 * The table as lines: a header per group, then `name value rate/s` with the name column
 * as wide as the longest name but at most `width / 2`, numbers right-aligned.
 */
export function tableLines(rows: Row[], width: number): Line[] {
  if (rows.length === 0) return [[{ text: '  (no counters: the object has no .bss/.data globals or per-CPU arrays)', tone: 'dim' }]];
  const nameWidth = Math.min(Math.max(8, ...rows.map((r) => r.name.length)), Math.max(8, Math.floor(width / 2)));
  const values = rows.map((r) => showValue(r.value));
  const rates = rows.map((r) => (r.rate === undefined && typeof r.value !== 'number' && typeof r.value !== 'bigint' ? '' : `${showRate(r.rate)}/s`));
  const valueWidth = Math.max(5, ...values.map((v) => v.length));
  const rateWidth = Math.max(6, ...rates.map((v) => v.length));
  const lines: Line[] = [];
  let group: string | undefined;
  rows.forEach((r, i) => {
    if (r.group !== group) {
      group = r.group;
      lines.push([{ text: `  ${group}`, tone: 'bold' }]);
    }
    const name = r.name.length > nameWidth ? `${r.name.slice(0, nameWidth - 1)}…` : r.name.padEnd(nameWidth);
    lines.push([
      { text: `    ${name}  ` },
      { text: values[i].padStart(valueWidth) },
      { text: `  ${rates[i].padStart(rateWidth)}`, tone: r.rate !== undefined && r.rate > 0 ? 'good' : 'dim' },
    ]);
  });
  return lines;
}

/** What the end report says, line by line (the exit record's fields indented). */
export function endLines(report: EndReport): string[] {
  const lines = [`ended: ${report.message}`];
  const x = report.exitInfo;
  if (x) {
    lines.push(`  exit kind: ${x.kindName ? `${x.kindName} (${x.kind})` : x.kind}  exit code: ${x.exitCode}`);
    if (x.reason) lines.push(`  reason: ${x.reason}`);
    if (x.message) lines.push(`  message: ${x.message}`);
  }
  lines.push(`exit status ${report.exitStatus}${report.signal ? ` (re-raising ${report.signal})` : ''}`);
  return lines;
}
