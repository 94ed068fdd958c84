/**
 * Gates for the struct_ops family tests (test/kernel/families): a family test runs where the
 * running kernel offers the family, as its BTF says (a `struct bpf_struct_ops_<type>` in
 * vmlinux or module BTF; not the kernel version). A family the VM's matrix entry promises
 * (STRUCT_OPS_VM_FAMILIES, set by scripts/vm/init from scripts/vm/kernels.sh) must run when
 * STRUCT_OPS_REQUIRE_KERNEL=1: its suite then fails with the reason instead of skipping.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { listStructOpsTypes } from '../../lib';
import type { BpfMap } from '../../lib';
import { describeKernel, kernelAvailable } from './kernel';

/** The families a test can ask for: struct_ops type names, and `module` (our test/kmod type). */
export type Family = 'sched_ext_ops' | 'Qdisc_ops' | 'hid_bpf_ops' | 'module';

/** Where scripts/vm-test puts test/kmod's module built for the running kernel. */
export const TEST_MODULE_PATH = `/lib/modules/${release()}/extra/structops_kmod.ko`;
/** The module's name (in /proc/modules, /sys/kernel/btf) and its struct_ops type. */
export const TEST_MODULE = 'structops_kmod';
export const TEST_MODULE_TYPE = 'structops_kmod_ops';

let offered: Set<string> | undefined;

/** struct_ops type names the running kernel and its loaded modules define (from BTF). */
export function kernelStructOpsTypes(): Set<string> {
  offered ??= new Set(kernelAvailable ? listStructOpsTypes().map((t) => t.name) : []);
  return offered;
}

/** Families the VM's matrix entry promises (empty outside the VM). */
export function promisedFamilies(): Set<string> {
  return new Set((process.env.STRUCT_OPS_VM_FAMILIES ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

/** Why `family` cannot be tested here, or null when it can. */
export function familyUnavailable(family: Family): string | null {
  if (!kernelAvailable) return 'kernel tests cannot run here';
  if (family === 'module') {
    if (!existsSync(TEST_MODULE_PATH)) return `no test module built for ${release()} at ${TEST_MODULE_PATH}`;
    if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel has no BTF';
    return null;
  }
  if (!kernelStructOpsTypes().has(family)) return `Linux ${release()} has no struct_ops type ${family} in its BTF`;
  return null;
}

/**
 * `describeKernel` for the tests of one family: runs `fn` where the family is offered;
 * elsewhere skips (with the reason) unless the matrix entry promises the family and
 * STRUCT_OPS_REQUIRE_KERNEL=1, where one failing test says what is missing.
 */
export function describeFamily(family: Family, name: string, fn: () => void): void {
  const why = familyUnavailable(family);
  if (why === null) {
    describeKernel(name, fn);
    return;
  }
  if (process.env.STRUCT_OPS_REQUIRE_KERNEL === '1' && promisedFamilies().has(family)) {
    describe(name, () => {
      test(`family ${family} is available (promised by the VM's matrix entry)`, () => {
        throw new Error(`family ${family} promised but unavailable: ${why}`);
      });
    });
    return;
  }
  console.warn(`skipping ${family} tests: ${why}`);
  describe.skip(name, fn);
}

/** Sum over CPUs of the integer at `key` of a per-CPU map, through the map API (BpfMap.sum). */
export function perCpuSum(map: BpfMap, key: number): bigint {
  const total = map.sum(key);
  if (typeof total !== 'bigint') throw new Error(`map ${map.name}: no integer at key ${key} (got ${String(total)})`);
  return total;
}

/** Loaded modules (names from /proc/modules). */
export function loadedModules(): string[] {
  return readFileSync('/proc/modules', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
}

/** Entries of /sys/kernel/btf (vmlinux and module BTFs). */
export function kernelBtfNames(): string[] {
  return readdirSync('/sys/kernel/btf');
}

/**
 * Polls `read` until it returns a value `done` accepts, every `everyMs`, at most `tries`
 * times (bounded by count, not by elapsed time). Returns the last value read.
 */
export async function pollUntil<T>(read: () => T, done: (v: T) => boolean, tries = 200, everyMs = 50): Promise<T> {
  let v = read();
  for (let i = 0; i < tries && !done(v); i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = read();
  }
  return v;
}

/** Absolute path of a family fixture (test/fixtures/bpf/families/NAME.bpf.o). */
export function familyFixture(name: string): string {
  return `${__dirname}/../fixtures/bpf/families/${name}.bpf.o`;
}

/**
 * Prints a line of kernel-side evidence for the run's log (`vm-test: [LABEL] evidence ...`
 * through scripts/vm-test's note stream) when running in the VM; nothing elsewhere.
 */
export function evidence(family: Family, text: string): void {
  if (process.env.STRUCT_OPS_VM_FAMILIES === undefined) return;
  process.stdout.write(`\n@@vmtest note evidence ${family}: ${text.replace(/\s*\n\s*/g, ' | ')}\n`);
}

/** What `struct-ops inspect --json` prints (bpftool-style snake_case keys), as far as tests read it. */
export interface InspectJson {
  issues: { severity: string; message: string }[];
  struct_ops: { name: string; kernel_type: string; link: boolean; kernel: { module: string } }[];
}
