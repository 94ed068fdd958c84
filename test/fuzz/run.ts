import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBpfError } from '../../lib/errors';
import { mutate, Rng } from './mutate';
import type { FuzzTarget } from './targets';

export interface FuzzReport {
  target: string;
  iterations: number;
  bpfErrors: number;
  /** Inputs the target accepted. */
  accepted: number;
  slowest: number;
  failures: { input: string; error: string }[];
}

export const REGRESSIONS = join(__dirname, 'regressions');
/** Any single input taking longer than this counts as a hang. */
export const MAX_INPUT_MS = 1000;

/**
 * Runs `iterations` mutated inputs through `target`. Anything other than success or a
 * BpfError, or an input slower than MAX_INPUT_MS, is a failure; failing inputs are saved
 * under test/fuzz/regressions/ so they become regression tests.
 */
export function fuzz(target: FuzzTarget, iterations: number, seed: number, save = true): FuzzReport {
  const rng = new Rng(seed);
  const report: FuzzReport = { target: target.name, iterations, bpfErrors: 0, accepted: 0, slowest: 0, failures: [] };
  for (let i = 0; i < iterations; i++) {
    const k = rng.below(target.seeds.length);
    const other = target.seeds[rng.below(target.seeds.length)];
    const input = mutate(target.seeds[k], rng, target.hotspots[k] ?? [], other);
    const t0 = process.hrtime.bigint();
    let failure: string | undefined;
    try {
      target.run(input);
      report.accepted++;
    } catch (err) {
      if (isBpfError(err)) report.bpfErrors++;
      else failure = `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    report.slowest = Math.max(report.slowest, ms);
    if (ms > MAX_INPUT_MS) failure = `took ${ms.toFixed(0)} ms (limit ${MAX_INPUT_MS})`;
    if (failure !== undefined) {
      const name = `${target.name}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`;
      if (save) {
        mkdirSync(REGRESSIONS, { recursive: true });
        writeFileSync(join(REGRESSIONS, name), input);
      }
      report.failures.push({ input: name, error: failure });
    }
  }
  return report;
}
