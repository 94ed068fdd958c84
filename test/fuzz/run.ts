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
  /** Inputs that threw anything but a BpfError. */
  exceptions: FuzzFinding[];
  /** Inputs slower than MAX_INPUT_MS (whatever their verdict). */
  hangs: FuzzFinding[];
}

/** A failing input: its file name under REGRESSIONS and what went wrong. */
export interface FuzzFinding {
  input: string;
  error: string;
}

/** What one input did: how long it took, and the exception if it threw anything but a BpfError. */
export interface InputOutcome {
  ms: number;
  verdict: 'accepted' | 'bpfError' | 'exception';
  exception?: string;
}

export const REGRESSIONS = join(__dirname, 'regressions');
/** Any single input taking longer than this counts as a hang. */
export const MAX_INPUT_MS = 1000;

/** Runs one input through `target`, timed. */
export function runInput(target: FuzzTarget, input: Buffer): InputOutcome {
  const t0 = process.hrtime.bigint();
  let outcome: Omit<InputOutcome, 'ms'>;
  try {
    target.run(input);
    outcome = { verdict: 'accepted' };
  } catch (err) {
    outcome = isBpfError(err) ? { verdict: 'bpfError' }
      : { verdict: 'exception', exception: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, ...outcome };
}

/** Why `outcome` took too long, or undefined when it was within MAX_INPUT_MS. */
export function hangOf(outcome: InputOutcome): string | undefined {
  return outcome.ms > MAX_INPUT_MS ? `took ${outcome.ms.toFixed(0)} ms (limit ${MAX_INPUT_MS})` : undefined;
}

/**
 * Runs `iterations` mutated inputs through `target`. Anything other than success or a
 * BpfError is an exception, an input slower than MAX_INPUT_MS a hang; failing inputs are
 * saved under test/fuzz/regressions/ so they become regression tests.
 */
export function fuzz(target: FuzzTarget, iterations: number, seed: number, save = true): FuzzReport {
  const rng = new Rng(seed);
  const report: FuzzReport = { target: target.name, iterations, bpfErrors: 0, accepted: 0, slowest: 0, exceptions: [], hangs: [] };
  for (let i = 0; i < iterations; i++) {
    const k = rng.below(target.seeds.length);
    const other = target.seeds[rng.below(target.seeds.length)];
    const input = mutate(target.seeds[k], rng, target.hotspots[k] ?? [], other);
    const outcome = runInput(target, input);
    if (outcome.verdict === 'accepted') report.accepted++;
    if (outcome.verdict === 'bpfError') report.bpfErrors++;
    report.slowest = Math.max(report.slowest, outcome.ms);
    const hang = hangOf(outcome);
    if (outcome.exception === undefined && hang === undefined) continue;
    const name = `${target.name}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`;
    if (save) {
      mkdirSync(REGRESSIONS, { recursive: true });
      writeFileSync(join(REGRESSIONS, name), input);
    }
    if (outcome.exception !== undefined) report.exceptions.push({ input: name, error: outcome.exception });
    if (hang !== undefined) report.hangs.push({ input: name, error: hang });
  }
  return report;
}
