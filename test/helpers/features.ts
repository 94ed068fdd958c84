/**
 * Feature gates for kernel tests: a test that needs struct_ops links (Linux 6.4+) runs as
 * written where the kernel has them, and on an older kernel (the VM matrix boots 6.1)
 * asserts the loader's clear refusal instead of failing on the kernel's EINVAL.
 */
import { release } from 'node:os';
import { BpfError, STRUCT_OPS_LINK_HINT, openObject, probeStructOpsLink } from '../../lib';
import { fixture } from './fixtures';
import { describeKernel, kernelAvailable, openFdCount } from './kernel';

function probe(): boolean {
  if (!kernelAvailable) return true; // describeKernel reports why nothing runs
  try {
    return probeStructOpsLink();
  } catch {
    return true; // undecidable: run the real test and let it report the kernel's error
  }
}

/** True when the running kernel registers `.struct_ops.link` maps (probed once per test file). */
export const structOpsLinks: boolean = probe();

/**
 * Loads `path` and expects the refusal of a kernel without struct_ops links: a BpfError
 * EOPNOTSUPP naming `map`, with the "use SEC(\".struct_ops\")" hint, and no fd left open.
 */
export async function expectLinkMapRefused(path = fixture('cubic'), map = 'cubic_link'): Promise<void> {
  const baseline = openFdCount();
  const obj = await openObject(path);
  try {
    const err = await obj.load().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EOPNOTSUPP', map, hint: STRUCT_OPS_LINK_HINT });
    expect((err as Error).message).toMatch(/struct_ops links need Linux 6\.4 or newer/);
  } finally {
    obj.close();
  }
  // At most the baseline: the lazily read kernel BTF file may get closed meanwhile.
  expect(openFdCount()).toBeLessThanOrEqual(baseline);
}

const refusedName = (what: string): string =>
  `${what} [Linux ${release()} has no struct_ops links: loading a link map fails with EOPNOTSUPP]`;

/** `test` for a case that needs struct_ops links; without them it asserts the refusal. */
export function testWithLinks(name: string, fn: jest.ProvidesCallback, timeout?: number): void {
  if (structOpsLinks) test(name, fn, timeout);
  else test(refusedName(name), () => expectLinkMapRefused());
}

/** `describeKernel` for a suite that needs struct_ops links; without them one test asserting the refusal. */
export function describeWithLinks(name: string, fn: () => void): void {
  if (structOpsLinks) {
    describeKernel(name, fn);
    return;
  }
  describeKernel(name, () => {
    test(refusedName('the suite needs struct_ops links'), () => expectLinkMapRefused());
  });
}
