import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernelBtf } from '../../lib/btf';
import { BpfError } from '../../lib/errors';
import { fuzz, hangOf, MAX_INPUT_MS, REGRESSIONS, runInput } from './run';
import { fuzzTargets, type FuzzTarget } from './targets';

// CI runs a bounded number per target; `npm run fuzz` sets FUZZ_ITERATIONS much higher.
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const kernel = existsSync('/sys/kernel/btf/vmlinux') ? loadKernelBtf() : undefined;
const targets = fuzzTargets(kernel);

describe('fuzzing: only success or BpfError, no input over 1 s, bounded memory', () => {
  test('has a kernel-BTF target whenever the kernel has BTF', () => {
    expect(targets.map((t) => t.name)).toEqual(
      ['elf', 'btf', 'btf.ext', 'openObject', 'shadow', 'gen-types', ...(kernel ? ['planLoad', 'match+core'] : [])],
    );
    for (const t of targets) expect(t.seeds.length).toBeGreaterThan(0);
  });

  test.each(targets.map((t) => [t.name, t] as const))('%s', (_name, target) => {
    const before = process.memoryUsage().rss;
    const report = fuzz(target, ITERATIONS, SEED);
    const growthMiB = (process.memoryUsage().rss - before) / (1 << 20);
    console.log(`fuzz ${report.target}: ${report.iterations} inputs, ${report.accepted} accepted, ${report.bpfErrors} BpfError, ` +
      `slowest ${report.slowest.toFixed(1)} ms, rss +${growthMiB.toFixed(1)} MiB, ` +
      `${report.exceptions.length} exceptions, ${report.hangs.length} hangs`);
    expect(report.exceptions).toEqual([]);
    expect(report.hangs).toEqual([]);
    // Not vacuous: inputs ran, and each ended in exactly one verdict.
    expect(report.iterations).toBeGreaterThan(0);
    expect(report.accepted + report.bpfErrors).toBe(report.iterations);
    expect(report.accepted).toBeGreaterThan(0);
    expect(growthMiB).toBeLessThan(512);
  }, 600000);

  test('every saved crash input is a regression test that now passes, each within the bound', () => {
    const files = existsSync(REGRESSIONS) ? readdirSync(REGRESSIONS).filter((f) => f.endsWith('.bin')) : [];
    let ran = 0;
    const problems: string[] = [];
    for (const file of files) {
      const target = targets.find((t) => file.startsWith(`${t.name}-`));
      if (!target) continue;
      ran++;
      const outcome = runInput(target, readFileSync(join(REGRESSIONS, file)));
      for (const problem of [outcome.exception, hangOf(outcome)]) if (problem !== undefined) problems.push(`${file}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect(ran).toBeGreaterThan(0);
  });
});

describe('fuzz reports', () => {
  /** A target whose every input does `run`. */
  const fake = (run: () => void): FuzzTarget => ({ name: 'fake', seeds: [Buffer.alloc(16)], hotspots: [], run });
  const busy = (ms: number): void => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* a hang the runner must see */ }
  };

  test('an exception other than BpfError is an exception, not a hang', () => {
    const report = fuzz(fake(() => { throw new TypeError('boom'); }), 3, 1, false);
    expect(report.exceptions).toEqual(Array(3).fill(expect.objectContaining({ error: 'TypeError: boom' })));
    expect(report.hangs).toEqual([]);
    expect([report.accepted, report.bpfErrors]).toEqual([0, 0]);
  });

  test('an input over the bound is a hang, whatever its verdict', () => {
    const report = fuzz(fake(() => { busy(MAX_INPUT_MS + 50); throw new BpfError('slow refusal'); }), 1, 1, false);
    expect(report.hangs).toEqual([expect.objectContaining({ error: expect.stringMatching(/^took \d+ ms \(limit 1000\)$/) })]);
    expect(report.exceptions).toEqual([]);
    expect(report.bpfErrors).toBe(1);
  }, 10_000);

  test('a replayed input is timed: a slow one is reported even when it passes', () => {
    const outcome = runInput(fake(() => busy(MAX_INPUT_MS + 50)), Buffer.alloc(1));
    expect(outcome.verdict).toBe('accepted');
    expect(hangOf(outcome)).toMatch(/^took \d+ ms/);
    expect(hangOf(runInput(fake(() => {}), Buffer.alloc(1)))).toBeUndefined();
  }, 10_000);
});
