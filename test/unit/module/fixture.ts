/**
 * The split-BTF module fixtures (test/fixtures/btf-module, written by its generate.js):
 * a synthetic vmlinux and two modules, with the ids the generator assigns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '../../../lib/btf';
import { KernelBtfs, type ModuleBtfSource } from '../../../lib/kernel';

const DIR = join(__dirname, '..', '..', 'fixtures', 'btf-module');

/** Type ids in the fixtures (see test/fixtures/btf-module/README.md). */
export const IDS = {
  base: { int: 1, uint: 2, char: 3, commonValue: 4, name16: 5, decoyOps: 6, baseKfunc: 8, count: 9 },
  soMod: { kfunc: 10, ops: 17, value: 18, count: 19 },
  soDummy: { kfunc: 11 },
} as const;

/** The fds the fake modules hand out (any numbers: nothing is sent to a kernel). */
export const MOD_FD = 77;
export const DUMMY_FD = 78;

export function readBlob(name: string): Buffer {
  return readFileSync(join(DIR, `${name}.btf`));
}

/** Parses the base and both modules (the modules as split BTF over the base). */
export function parseFixtures(): { base: Btf; soMod: Btf; soDummy: Btf } {
  const base = Btf.parse(readBlob('base'), { name: 'vmlinux' });
  return {
    base,
    soMod: Btf.parse(readBlob('so_mod'), { base, name: 'so_mod' }),
    soDummy: Btf.parse(readBlob('so_dummy'), { base, name: 'so_dummy' }),
  };
}

/** A KernelBtfs over the fixtures: vmlinux = base, modules so_dummy then so_mod. */
export function fixtureKernel(extra: Partial<Record<'soMod' | 'soDummy', Partial<ModuleBtfSource>>> = {}): KernelBtfs {
  const { base, soMod, soDummy } = parseFixtures();
  return new KernelBtfs({
    vmlinux: base,
    modules: [
      { name: 'so_dummy', btf: soDummy, fd: () => DUMMY_FD, ...extra.soDummy },
      { name: 'so_mod', btf: soMod, fd: () => MOD_FD, ...extra.soMod },
    ],
  });
}
