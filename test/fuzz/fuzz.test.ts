import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernelBtf } from '../../lib/btf';
import { isBpfError } from '../../lib/errors';
import { fuzz, REGRESSIONS } from './run';
import { fuzzTargets } from './targets';

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
      `slowest ${report.slowest.toFixed(1)} ms, rss +${growthMiB.toFixed(1)} MiB, ${report.failures.length} failures`);
    expect(report.failures).toEqual([]);
    // Not vacuous: inputs ran, and each ended in exactly one verdict.
    expect(report.iterations).toBeGreaterThan(0);
    expect(report.accepted + report.bpfErrors).toBe(report.iterations);
    expect(report.accepted).toBeGreaterThan(0);
    expect(growthMiB).toBeLessThan(512);
  }, 600000);

  test('every saved crash input is a regression test that now passes', () => {
    const files = existsSync(REGRESSIONS) ? readdirSync(REGRESSIONS).filter((f) => f.endsWith('.bin')) : [];
    let ran = 0;
    for (const file of files) {
      const target = targets.find((t) => file.startsWith(`${t.name}-`));
      if (!target) continue;
      ran++;
      try {
        target.run(readFileSync(join(REGRESSIONS, file)));
      } catch (err) {
        if (!isBpfError(err)) throw new Error(`${file}: ${(err as Error).message}`);
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});
