/**
 * Kernel-test gate used by every test/kernel suite: runs them only as root with a working
 * addon and bpf(), skips them with a printed reason otherwise, and turns that skip into a
 * failure when STRUCT_OPS_REQUIRE_KERNEL=1 (CI), so kernel tests never vanish silently.
 */
import { readdirSync } from 'node:fs';
import { BpfMapType, Fd, mapCreate } from '../../lib/sys';

function probe(): string | null {
  if (process.platform !== 'linux') return `bpf() needs Linux (platform is ${process.platform})`;
  if (process.geteuid?.() !== 0) return 'kernel tests need root (euid 0)';
  try {
    const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    map.close();
    return null;
  } catch (e) {
    return `bpf() does not work here: ${(e as Error).message}`;
  }
}

/** Why kernel tests cannot run, or null when they can. */
const reason = probe();

/** True when running as root, the addon loads and bpf(BPF_MAP_CREATE) works. */
export const kernelAvailable: boolean = reason === null;

let warned = false;

/**
 * `describe` for tests that need the real kernel. Without one: when
 * STRUCT_OPS_REQUIRE_KERNEL=1 registers a suite whose one test fails with the reason,
 * otherwise skips the suite and prints the reason once per test file.
 */
export function describeKernel(name: string, fn: () => void): void {
  if (reason === null) {
    describe(name, fn);
    return;
  }
  if (process.env.STRUCT_OPS_REQUIRE_KERNEL === '1') {
    describe(name, () => {
      test('kernel is available (STRUCT_OPS_REQUIRE_KERNEL=1)', () => {
        throw new Error(`kernel tests required but unavailable: ${reason}`);
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(`skipping kernel tests: ${reason}`);
  }
  describe.skip(name, fn);
}

/** Number of open descriptors of this process (entries in /proc/self/fd). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * For a describe block whose tests create raw fds: returns an array to push them into;
 * they are closed after the block, and /proc/self/fd must then be back at the count it had
 * before the block (no fd leaked by the code under test).
 */
export function trackFds(): Fd[] {
  let baseline = 0;
  const fds: Fd[] = [];
  beforeAll(() => {
    baseline = openFdCount();
  });
  afterAll(() => {
    for (const fd of fds.splice(0)) fd.close();
    expect(openFdCount()).toBe(baseline);
  });
  return fds;
}
