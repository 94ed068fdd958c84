// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Feature probes for the kernel's BTF loader: each loads a tiny BTF blob that uses one kind
 * or flag (BPF_BTF_LOAD succeeds = supported) and closes the fd at once. Probed once per
 * process. The loader sanitizes the object BTF for whatever is missing (lib/btf/sanitize.ts).
 */
import { ALL_BTF_FEATURES, BTF_FEATURE_NAMES, BtfKind, type BtfFeatures } from '../btf';
import { isBpfError } from '../errors';
import { btfLoad } from '../sys';
import { cachedProbe, type FeatureProbe } from './probe';

/** The probe blobs' shared string section and the offset of each name in it. */
const NAMES = ['int', 'a', 'f', 'x', '.data', '?.data', 'float', 'tag', 'e'] as const;
const STRINGS = Buffer.from(`\0${NAMES.join('\0')}\0`, 'latin1');
const off = (name: (typeof NAMES)[number]): number => STRINGS.indexOf(Buffer.from(`\0${name}\0`, 'latin1')) + 1;

const info = (kind: BtfKind, vlen = 0, kflag = false): number => ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
/** [1] `int`: 4 bytes, signed, 32 bits. */
const INT = (): number[] => [off('int'), info(BtfKind.INT), 4, 0x01000020];
/** [2] `int x` as a static VAR of [1]. */
const VAR_X = (): number[] => [off('x'), info(BtfKind.VAR), 1, 0];

/** Header + type words + the shared strings. */
function blob(words: number[]): Buffer {
  const out = Buffer.alloc(24 + words.length * 4 + STRINGS.length);
  out.writeUInt16LE(0xeb9f, 0);
  out.writeUInt8(1, 2);
  out.writeUInt32LE(24, 4);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(words.length * 4, 12);
  out.writeUInt32LE(words.length * 4, 16);
  out.writeUInt32LE(STRINGS.length, 20);
  words.forEach((w, i) => out.writeUInt32LE(w >>> 0, 24 + i * 4));
  STRINGS.copy(out, 24 + words.length * 4);
  return out;
}

/** The type words of each feature's blob. */
const PROBE_TYPES: Record<keyof BtfFeatures, () => number[]> = {
  // [2] void (int a); [3] static FUNC f.
  func: () => [...INT(), 0, info(BtfKind.FUNC_PROTO, 1), 0, off('a'), 1, off('f'), info(BtfKind.FUNC, 0), 2],
  // The same with global linkage (vlen 1).
  globalFunc: () => [...INT(), 0, info(BtfKind.FUNC_PROTO, 1), 0, off('a'), 1, off('f'), info(BtfKind.FUNC, 1), 2],
  // [2] VAR x; [3] DATASEC .data { x @0, 4 bytes }.
  datasec: () => [...INT(), ...VAR_X(), off('.data'), info(BtfKind.DATASEC, 1), 4, 2, 0, 4],
  qmarkDatasec: () => [...INT(), ...VAR_X(), off('?.data'), info(BtfKind.DATASEC, 1), 4, 2, 0, 4],
  float: () => [off('float'), info(BtfKind.FLOAT), 4],
  // [3] DECL_TAG "tag" on the VAR itself (component -1).
  declTag: () => [...INT(), ...VAR_X(), off('tag'), info(BtfKind.DECL_TAG), 2, 0xffffffff],
  // [2] TYPE_TAG "tag" -> int; [3] PTR -> [2].
  typeTag: () => [...INT(), off('tag'), info(BtfKind.TYPE_TAG), 1, 0, info(BtfKind.PTR), 2],
  // [1] signed ENUM64 e { a = -1 } (kind_flag: the same kernel release added signed enums).
  enum64: () => [off('e'), info(BtfKind.ENUM64, 1, true), 8, off('a'), 0xffffffff, 0xffffffff],
};

/**
 * @internal One blob per feature, each valid BTF on a kernel that has the feature. Exported
 * for tests. Each is built when first read: a load probes only the features its object BTF
 * uses (3 of 8 for reno), and `require` builds none.
 */
export const BTF_PROBE_BLOBS = {} as Readonly<Record<keyof BtfFeatures, Buffer>>;
for (const name of BTF_FEATURE_NAMES) {
  let built: Buffer | undefined;
  Object.defineProperty(BTF_PROBE_BLOBS, name, { enumerable: true, get: () => (built ??= blob(PROBE_TYPES[name]())) });
}

/**
 * Loads `data` and closes the fd. True when the kernel took it; false when it refused it;
 * throws when the answer says nothing about the feature (no privilege).
 */
function btfLoads(data: Buffer): boolean {
  try {
    btfLoad(data).close();
    return true;
  } catch (err) {
    if (isBpfError(err) && err.code !== 'EPERM' && err.code !== 'EACCES') return false;
    throw err;
  }
}

const probes = Object.fromEntries(
  BTF_FEATURE_NAMES.map((name) => [name, cachedProbe(() => btfLoads(BTF_PROBE_BLOBS[name]))]),
) as Record<keyof BtfFeatures, FeatureProbe>;

/**
 * Reports which BTF kinds and flags the running kernel's BPF_BTF_LOAD accepts. Each feature
 * is probed once per process with a tiny blob (8 BTF_LOADs in all, every fd closed at once).
 *
 * @throws {BpfError} EPERM/EACCES when the process may not load BTF (rethrown on every call)
 * @example
 * if (!probeBtfFeatures().enum64) console.log('this kernel predates 6.0');
 */
export function probeBtfFeatures(): BtfFeatures {
  const out = { ...ALL_BTF_FEATURES };
  for (const name of BTF_FEATURE_NAMES) out[name] = probes[name]();
  return out;
}

/**
 * The features the loader sanitizes for: the probe's answer, or (when the probe cannot run,
 * e.g. without CAP_BPF) everything, so that BPF_BTF_LOAD itself reports the real error.
 * With `only`, just those features are probed (the ones the object BTF uses, see
 * btfFeaturesUsedBy) and the others are reported present: sanitizing for them would
 * change nothing.
 */
export function loaderBtfFeatures(only: readonly (keyof BtfFeatures)[] = BTF_FEATURE_NAMES): BtfFeatures {
  const out = { ...ALL_BTF_FEATURES };
  try {
    for (const name of only) out[name] = probes[name]();
    return out;
  } catch {
    return { ...ALL_BTF_FEATURES };
  }
}

/** @internal Forgets the probes' answers (tests). */
export function resetBtfFeatureProbes(): void {
  for (const name of BTF_FEATURE_NAMES) probes[name].reset();
}
