import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Milliseconds from some fixed point; tests pass a fake one so timing rules need no real slowness. */
export type Clock = () => number;

/** The monotonic clock (wall-clock changes do not move it). */
export const monotonicMs: Clock = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs one input through `target`, timed by `clock`. */
export function runInput(target: FuzzTarget, input: Buffer, clock: Clock = monotonicMs): InputOutcome {
  const t0 = clock();
  let outcome: Omit<InputOutcome, 'ms'>;
  try {
    target.run(input);
    outcome = { verdict: 'accepted' };
  } catch (err) {
    outcome = isBpfError(err) ? { verdict: 'bpfError' }
      : { verdict: 'exception', exception: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
  return { ms: clock() - t0, ...outcome };
}

/** Why `outcome` took too long, or undefined when it was within MAX_INPUT_MS. */
export function hangOf(outcome: InputOutcome): string | undefined {
  return outcome.ms > MAX_INPUT_MS ? `took ${outcome.ms.toFixed(0)} ms (limit ${MAX_INPUT_MS})` : undefined;
}

/** What replaying the saved inputs found: how many ran, and one line per failing input. */
export interface ReplayReport {
  ran: number;
  problems: string[];
}

/**
 * Replays every saved input `<target>-<hash>.bin` in `dir` through the target of that
 * name: each must end in success or a BpfError, and within MAX_INPUT_MS (timed by `clock`).
 * Files of no known target are skipped.
 */
export function replayRegressions(targets: FuzzTarget[], dir = REGRESSIONS, clock: Clock = monotonicMs): ReplayReport {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')).sort() : [];
  const report: ReplayReport = { ran: 0, problems: [] };
  for (const file of files) {
    const target = targets.find((t) => file.startsWith(`${t.name}-`));
    if (!target) continue;
    report.ran++;
    const outcome = runInput(target, readFileSync(join(dir, file)), clock);
    for (const problem of [outcome.exception, hangOf(outcome)]) if (problem !== undefined) report.problems.push(`${file}: ${problem}`);
  }
  return report;
}

/**
 * Runs `iterations` mutated inputs through `target`. Anything other than success or a
 * BpfError is an exception, an input slower than MAX_INPUT_MS a hang; failing inputs are
 * saved under test/fuzz/regressions/ so they become regression tests. `clock` times each input.
 */
export function fuzz(target: FuzzTarget, iterations: number, seed: number, save = true, clock: Clock = monotonicMs): FuzzReport {
  const rng = new Rng(seed);
  const report: FuzzReport = { target: target.name, iterations, bpfErrors: 0, accepted: 0, slowest: 0, exceptions: [], hangs: [] };
  for (let i = 0; i < iterations; i++) {
    const k = rng.below(target.seeds.length);
    const other = target.seeds[rng.below(target.seeds.length)];
    const input = mutate(target.seeds[k], rng, target.hotspots[k] ?? [], other);
    const outcome = runInput(target, input, clock);
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
