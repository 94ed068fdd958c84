/**
 * Feature gates for kernel tests: a test that needs struct_ops links (Linux 6.4+) runs as
 * written where the kernel has them, and on an older kernel (the VM matrix boots 6.1)
 * asserts the loader's clear refusal instead of failing on the kernel's EINVAL.
 */
import { release } from 'node:os';
import { BpfError, BpfObject, STRUCT_OPS_LINK_HINT, openObject, probeStructOpsLink } from '../../lib';
import { BtfKind, loadKernelBtf, type BtfComposite, type BtfFunc, type BtfFuncProto } from '../../lib/btf';
import { fixture } from './fixtures';
import { describeKernel, kernelAvailable, openFdCount } from './kernel';

let links: boolean | undefined;

/**
 * True when the running kernel registers `.struct_ops.link` maps. Probed on first use (not
 * at import, so files that only need {@link kernelAtLeast} touch no kernel state), once per
 * test file. Also true when kernel tests cannot run (describeKernel reports why) or the probe
 * cannot decide (the real test then reports the kernel's error).
 */
export function hasStructOpsLinks(): boolean {
  if (links === undefined) {
    try {
      links = !kernelAvailable || probeStructOpsLink();
    } catch {
      links = true;
    }
  }
  return links;
}

/**
 * True when the running kernel release is at least major.minor, for behaviour that has no
 * cheap probe (e.g. BPF_PROG_LOAD's log_true_size, 6.4).
 */
export function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release().split(/[.-]/).map((p) => Number.parseInt(p, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * On a kernel without struct_ops links, marks the object's `.struct_ops.link` maps as not
 * to be created (libbpf's bpf_map__set_autocreate(map, false)), so that its legacy maps
 * still load. Does nothing on 6.4+. Call before load().
 */
export function skipLinkMapsIfUnsupported(obj: BpfObject): void {
  if (hasStructOpsLinks()) return;
  for (const map of obj.structOps.values()) if (map.isLink) map.autocreate = false;
}

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
  if (hasStructOpsLinks()) test(name, fn, timeout);
  else test(refusedName(name), () => expectLinkMapRefused());
}

/** `describeKernel` for a suite that needs struct_ops links; without them one test asserting the refusal. */
export function describeWithLinks(name: string, fn: () => void): void {
  if (hasStructOpsLinks()) {
    describeKernel(name, fn);
    return;
  }
  describeKernel(name, () => {
    test(refusedName('the suite needs struct_ops links'), () => expectLinkMapRefused());
  });
}

/**
 * True when the running kernel marks `member`'s first argument of struct_ops type `ops`
 * nullable: its cfi stub (`<ops>__<member>`, e.g. bpf_dummy_ops__test_1) names the
 * parameter `...__nullable` (Linux 6.10+), so the verifier refuses an unchecked read.
 */
export function kernelArgNullable(ops: string, member: string): boolean {
  const btf = loadKernelBtf();
  const stub = btf.findByName(`${ops}__${member}`, BtfKind.FUNC) as BtfFunc | undefined;
  if (!stub) return false;
  const proto = btf.typeById(stub.type) as BtfFuncProto;
  return proto.params[0]?.name.endsWith('__nullable') ?? false;
}

/** True when the running kernel's `struct NAME` has a member called `member`. */
export function kernelStructHasMember(name: string, member: string): boolean {
  const t = loadKernelBtf().findByName(name, BtfKind.STRUCT) as BtfComposite | undefined;
  return t?.members.some((m) => m.name === member) ?? false;
}
