import {
  ALL_BTF_FEATURES, BTF_FEATURE_NAMES, Btf, BtfKind, BtfPatch, sanitizeBtf, type BtfFeatures,
} from '../../../lib/btf';
import { BpfError } from '../../../lib/errors';
import { BTF_PROBE_BLOBS } from '../../../lib/kernel';
import { commandKnown, linkOpsHas } from '../../../lib/kernel/kernel';
import { info, rawBtf, strtab } from '../btf/raw';

/** What each probe blob must contain for its answer to mean something. */
const PROBED: Record<keyof BtfFeatures, (btf: Btf) => boolean> = {
  func: (b) => [...b.types()].some((t) => t.kind === BtfKind.FUNC && t.linkage === 0),
  globalFunc: (b) => [...b.types()].some((t) => t.kind === BtfKind.FUNC && t.linkage === 1),
  datasec: (b) => b.findByName('.data', BtfKind.DATASEC) !== undefined && b.findByName('x', BtfKind.VAR) !== undefined,
  qmarkDatasec: (b) => b.findByName('?.data', BtfKind.DATASEC) !== undefined,
  float: (b) => b.findByName('float', BtfKind.FLOAT) !== undefined,
  declTag: (b) => b.findByName('tag', BtfKind.DECL_TAG) !== undefined,
  typeTag: (b) => b.findByName('tag', BtfKind.TYPE_TAG) !== undefined,
  enum64: (b) => {
    const e = b.findByName('e', BtfKind.ENUM64);
    return e?.kind === BtfKind.ENUM64 && e.signed && e.values[0].value === -1n;
  },
};

describe('BTF feature probe blobs', () => {
  test.each(BTF_FEATURE_NAMES.map((n) => [n]))('%s: valid BTF using exactly the probed kind/flag', (name) => {
    const btf = Btf.parse(BTF_PROBE_BLOBS[name]);
    expect(PROBED[name](btf)).toBe(true);
    // Sanitized for a kernel without the feature, the blob no longer uses it.
    const p = new BtfPatch(btf);
    expect(sanitizeBtf(p, btf, { ...ALL_BTF_FEATURES, [name]: false })).toBeGreaterThan(0);
    expect(PROBED[name](Btf.parse(p.encode()))).toBe(false);
  });
});

describe('probeBtfFeatures (BPF_BTF_LOAD mocked)', () => {
  afterEach(() => {
    jest.resetModules();
    jest.dontMock('../../../lib/sys');
  });

  /** Loads lib/kernel with btfLoad answering `answer(blob)`: an error to throw, or undefined for success. */
  function withBtfLoad(answer: (blob: Buffer) => BpfError | undefined): { features: typeof import('../../../lib/kernel'); calls: Buffer[] } {
    const calls: Buffer[] = [];
    jest.resetModules();
    jest.doMock('../../../lib/sys', () => ({
      ...jest.requireActual('../../../lib/sys'),
      btfLoad: (blob: Buffer) => {
        calls.push(blob);
        const err = answer(blob);
        if (err) throw err;
        return { close: () => undefined };
      },
    }));
    return { features: require('../../../lib/kernel') as typeof import('../../../lib/kernel'), calls };
  }

  const einval = (): BpfError => new BpfError('BPF_BTF_LOAD: Invalid argument', { code: 'EINVAL', command: 'BPF_BTF_LOAD' });

  test('a rejected blob means the feature is missing; each is probed once per process', () => {
    const { features, calls } = withBtfLoad((b) =>
      (b.equals(BTF_PROBE_BLOBS.float) || b.equals(BTF_PROBE_BLOBS.enum64) ? einval() : undefined));
    expect(features.probeBtfFeatures()).toEqual({ ...ALL_BTF_FEATURES, float: false, enum64: false });
    expect(calls).toHaveLength(BTF_FEATURE_NAMES.length);
    expect(features.probeBtfFeatures()).toEqual({ ...ALL_BTF_FEATURES, float: false, enum64: false });
    expect(features.loaderBtfFeatures()).toEqual({ ...ALL_BTF_FEATURES, float: false, enum64: false });
    expect(calls).toHaveLength(BTF_FEATURE_NAMES.length);
    features.resetBtfFeatureProbes();
    features.probeBtfFeatures();
    expect(calls).toHaveLength(2 * BTF_FEATURE_NAMES.length);
  });

  test('the loader probes only the features it is asked about and reports the others present', () => {
    const { features, calls } = withBtfLoad((b) => (b.equals(BTF_PROBE_BLOBS.datasec) ? einval() : undefined));
    expect(features.loaderBtfFeatures(['func', 'datasec'])).toEqual({ ...ALL_BTF_FEATURES, datasec: false });
    expect(calls).toEqual([BTF_PROBE_BLOBS.func, BTF_PROBE_BLOBS.datasec]);
    expect(features.loaderBtfFeatures([])).toEqual(ALL_BTF_FEATURES);
    expect(calls).toHaveLength(2);
  });

  test('without privilege the probe throws, and the loader assumes everything (the real error comes later)', () => {
    const eperm = new BpfError('BPF_BTF_LOAD: Operation not permitted', { code: 'EPERM', command: 'BPF_BTF_LOAD' });
    const { features } = withBtfLoad(() => eperm);
    expect(() => features.probeBtfFeatures()).toThrow(eperm);
    expect(features.loaderBtfFeatures()).toEqual(ALL_BTF_FEATURES);
  });
});

describe('link command probes', () => {
  const err = (code: string): BpfError => new BpfError(`x: ${code}`, { code, command: 'BPF_LINK_UPDATE' });

  test('EBADF for an fd that cannot be open means the command exists; EINVAL that it does not', () => {
    expect(commandKnown(() => { throw err('EBADF'); })).toBe(true);
    expect(commandKnown(() => { throw err('EINVAL'); })).toBe(false);
    expect(commandKnown(() => undefined)).toBe(true);
    expect(() => commandKnown(() => { throw err('EPERM'); })).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(() => commandKnown(() => { throw new TypeError('bug'); })).toThrow(TypeError);
  });

  test('struct bpf_link_ops members are read from kernel BTF', () => {
    const s = strtab(['bpf_link_ops', 'detach', 'update_map', 'int']);
    const btf = Btf.parse(rawBtf([
      s.off('int'), info(BtfKind.INT), 4, 0x01000020,
      s.off('bpf_link_ops'), info(BtfKind.STRUCT, 2), 8, s.off('detach'), 1, 0, s.off('update_map'), 1, 32,
    ], s.bytes));
    expect(linkOpsHas(btf, 'update_map')).toBe(true);
    expect(linkOpsHas(btf, 'update_prog')).toBe(false);
    expect(linkOpsHas(undefined, 'update_map')).toBeUndefined();
  });
});
