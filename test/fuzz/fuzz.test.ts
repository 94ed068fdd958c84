import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernelBtf } from '../../lib/btf';
import { BpfError } from '../../lib/errors';
import { type Clock, fuzz, hangOf, MAX_INPUT_MS, replayRegressions, runInput } from './run';
import { fuzzTargets, type FuzzTarget } from './targets';

// CI runs a bounded number per target; `npm run fuzz` sets FUZZ_ITERATIONS much higher.
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
// FUZZ_SAVE=0: failing inputs are reported but not saved as regression files (the
// rule-deletion check, whose failures come from rules it deleted on purpose, sets it).
const SAVE = process.env.FUZZ_SAVE !== '0';
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
    const report = fuzz(target, ITERATIONS, SEED, SAVE);
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
    const { ran, problems } = replayRegressions(targets);
    expect(problems).toEqual([]);
    expect(ran).toBeGreaterThan(0);
  });
});

describe('fuzz reports', () => {
  /** A target whose every input does `run`. */
  const fake = (run: () => void): FuzzTarget => ({ name: 'fake', seeds: [Buffer.alloc(16)], hotspots: [], run });
  /** A fake clock that moves `stepMs` forward at every reading: each input "takes" stepMs. */
  const ticking = (stepMs: number): Clock => {
    let now = 0;
    return () => (now += stepMs);
  };

  test('an exception other than BpfError is an exception, not a hang', () => {
    const report = fuzz(fake(() => { throw new TypeError('boom'); }), 3, 1, false);
    expect(report.exceptions).toEqual(Array(3).fill(expect.objectContaining({ error: 'TypeError: boom' })));
    expect(report.hangs).toEqual([]);
    expect([report.accepted, report.bpfErrors]).toEqual([0, 0]);
  });

  test('an input over the bound is a hang, whatever its verdict', () => {
    const report = fuzz(fake(() => { throw new BpfError('slow refusal'); }), 1, 1, false, ticking(MAX_INPUT_MS + 1));
    expect(report.hangs).toEqual([expect.objectContaining({ error: `took ${MAX_INPUT_MS + 1} ms (limit 1000)` })]);
    expect(report.exceptions).toEqual([]);
    expect(report.bpfErrors).toBe(1);
    expect(fuzz(fake(() => { throw new BpfError('refusal'); }), 1, 1, false, ticking(MAX_INPUT_MS)).hangs).toEqual([]);
  });

  test('replaying saved inputs times each one: over MAX_INPUT_MS is a problem even when it passes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'struct-ops-fuzz-'));
    try {
      writeFileSync(join(dir, 'fake-0123456789ab.bin'), Buffer.alloc(4));
      writeFileSync(join(dir, 'other-0123456789ab.bin'), Buffer.alloc(4));
      const passes = fake(() => {});
      expect(replayRegressions([passes], dir, ticking(MAX_INPUT_MS + 1))).toEqual({
        ran: 1, problems: [`fake-0123456789ab.bin: took ${MAX_INPUT_MS + 1} ms (limit ${MAX_INPUT_MS})`],
      });
      // The bound itself is allowed: only longer is a hang.
      expect(replayRegressions([passes], dir, ticking(MAX_INPUT_MS))).toEqual({ ran: 1, problems: [] });
      // An exception is reported as well, with its own line.
      const throws = fake(() => { throw new TypeError('boom'); });
      expect(replayRegressions([throws], dir, ticking(MAX_INPUT_MS + 1)).problems).toEqual([
        'fake-0123456789ab.bin: TypeError: boom', `fake-0123456789ab.bin: took ${MAX_INPUT_MS + 1} ms (limit ${MAX_INPUT_MS})`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a replayed input is timed: a slow one is reported even when it passes', () => {
    const outcome = runInput(fake(() => {}), Buffer.alloc(1), ticking(MAX_INPUT_MS + 1));
    expect(outcome).toEqual({ verdict: 'accepted', ms: MAX_INPUT_MS + 1 });
    expect(hangOf(outcome)).toBe(`took ${MAX_INPUT_MS + 1} ms (limit 1000)`);
    expect(hangOf(runInput(fake(() => {}), Buffer.alloc(1), ticking(MAX_INPUT_MS)))).toBeUndefined();
    // The real clock, for an input that does nothing, is far within the bound.
    expect(hangOf(runInput(fake(() => {}), Buffer.alloc(1)))).toBeUndefined();
  });
});
