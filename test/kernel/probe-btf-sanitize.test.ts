/**
 * Kernel feature probes and BTF sanitization on the running kernel: the probes' answers,
 * and objects loaded with sanitization forced for features this kernel does have (the
 * kernel must still accept the rewritten BTF, and the programs must still verify and run).
 */
import { ALL_BTF_FEATURES, BTF_FEATURE_NAMES, Btf, BtfPatch, sanitizeBtf, type BtfFeatures } from '../../lib/btf';
import { BpfError, BpfObject, openObject } from '../../lib';
import {
  BTF_PROBE_BLOBS, probeBtfFeatures, probeKernelFeatures, resetBtfFeatureProbes,
} from '../../lib/kernel';
import { loadObject } from '../../lib/object/load';
import { encodeObjectBtf } from '../../lib/object/load/object-btf';
import { KernelBtfs } from '../../lib/kernel';
import { StructOpsMap } from '../../lib/object/struct-ops-map';
import { btfGetFdById, btfGetInfo, btfLoad, type Fd } from '../../lib/sys';
import { unregisterLeftovers } from '../helpers/cleanup';
import { kernelAtLeast, skipLinkMapsIfUnsupported } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { pushTraffic } from '../helpers/traffic';

const ALL_BUT_FUNC: Partial<BtfFeatures> = {
  globalFunc: false, datasec: false, qmarkDatasec: false, float: false, declTag: false, typeTag: false, enum64: false,
};

/** An opened object and the fds load() gave to the object itself (its BTF). */
interface Loaded {
  obj: BpfObject;
  owned: Fd[];
}

/** Loads a fixture like BpfObject.load(), with the object BTF sanitized for `missing`. */
async function loadSanitized(name: string, missing: Partial<BtfFeatures>, into: Loaded[]): Promise<Loaded> {
  const obj = await openObject(fixture(name));
  const loaded: Loaded = { obj, owned: [] };
  into.push(loaded);
  skipLinkMapsIfUnsupported(obj);
  const kernel = new KernelBtfs();
  try {
    await loadObject({
      spec: obj.spec, programs: obj.programs, structOps: obj.structOps, warnings: obj.warnings,
      maps: new Map([...obj.maps].filter(([, m]) => !(m instanceof StructOpsMap))),
      own: (fd) => loaded.owned.push(fd),
    }, kernel, { btfFeatures: { ...ALL_BTF_FEATURES, ...missing } });
  } finally {
    kernel.close();
  }
  return loaded;
}

/** The BTF bytes the kernel holds for the object's maps (read back through a map's btf_id). */
function loadedObjectBtf(obj: BpfObject, map: string): Buffer {
  const fd = btfGetFdById(obj.maps.get(map)!.info().btfId);
  try {
    return btfGetInfo(fd, { withData: true }).data!;
  } finally {
    fd.close();
  }
}

describeKernel('kernel feature probes (BTF kinds, struct_ops link update/detach)', () => {
  test('report what this kernel has: everything on 6.18', async () => {
    const baseline = openFdCount();
    const f = probeKernelFeatures();
    if (kernelAtLeast(6, 18)) {
      expect(f).toEqual({
        btf: ALL_BTF_FEATURES, structOpsLink: true, structOpsLinkUpdate: true, structOpsLinkDetach: true,
      });
    } else {
      // Older kernels in the VM matrix: what every release since the feature has.
      const since = (major: number, minor: number): boolean => kernelAtLeast(major, minor);
      expect(f.btf).toMatchObject({
        func: true, globalFunc: true, datasec: true, float: true, declTag: since(5, 16), typeTag: since(5, 17), enum64: since(6, 0),
      });
      expect(f.structOpsLink).toBe(since(6, 4));
      expect(f.structOpsLinkUpdate).toBe(since(6, 4));
      if (!since(6, 4)) expect(f.structOpsLinkDetach).toBe(false);
    }
    // Cached: the same object of answers, no fd left behind.
    expect(probeKernelFeatures()).toEqual(f);
    await new Promise(setImmediate);
    expect(openFdCount()).toBe(baseline);
  });

  test('a probe blob loads exactly when its feature is reported, and the probes close their fds', () => {
    resetBtfFeatureProbes();
    const baseline = openFdCount();
    const f = probeBtfFeatures();
    expect(openFdCount()).toBe(baseline);
    for (const name of BTF_FEATURE_NAMES) {
      let ok: boolean;
      try {
        btfLoad(BTF_PROBE_BLOBS[name]).close();
        ok = true;
      } catch {
        ok = false;
      }
      expect([name, ok]).toEqual([name, f[name]]);
    }
  });

  test.each(BTF_FEATURE_NAMES.map((n) => [n]))('the kernel accepts the %s probe blob sanitized for a kernel without it', (name) => {
    const btf = Btf.parse(BTF_PROBE_BLOBS[name]);
    const p = new BtfPatch(btf);
    expect(sanitizeBtf(p, btf, { ...ALL_BTF_FEATURES, [name]: false })).toBeGreaterThan(0);
    btfLoad(p.encode()).close();
  });
});

describeKernel('objects load with BTF sanitization forced (kernel accepts the sanitized BTF)', () => {
  const loaded: Loaded[] = [];
  afterEach(() => {
    for (const { obj, owned } of loaded.splice(0)) {
      obj.close();
      for (const fd of owned) fd.close();
    }
  });
  afterAll(() => {
    expect(unregisterLeftovers(['cubic_'])).toEqual([]);
  });

  test.each([
    ['cubic', { datasec: false }],
    ['cubic', { globalFunc: false }],
    ['cubic', ALL_BUT_FUNC],
    ['shadow', { float: false, enum64: false, qmarkDatasec: false }],
    ['shadow', ALL_BUT_FUNC],
    ['reno', ALL_BUT_FUNC],
  ] as [string, Partial<BtfFeatures>][])('%s with %j: loads, and the kernel holds the sanitized BTF', async (name, missing) => {
    const { obj } = await loadSanitized(name, missing, loaded);
    expect([...obj.programs.values()].filter((p) => p.loaded).length).toBeGreaterThan(0);
    const sanitized = encodeObjectBtf(obj.spec, { ...ALL_BTF_FEATURES, ...missing });
    expect(sanitized.equals(encodeObjectBtf(obj.spec))).toBe(false);
    const structOps = [...obj.structOps.values()].find((m) => m.loaded)!;
    expect(loadedObjectBtf(obj, structOps.name).equals(sanitized)).toBe(true);
    if (missing.datasec === false) {
      // Global data maps carry no BTF types then (their value type was a DATASEC).
      for (const m of obj.maps.values()) if (m.spec.kind === 'data') expect(m.info().btfValueTypeId).toBe(0);
    }
  });

  test('cubic with every feature but FUNC sanitized registers and runs its callbacks', async () => {
    const { obj } = await loadSanitized('cubic', ALL_BUT_FUNC, loaded);
    const link = await obj.structOps.get('cubic_legacy')!.attach();
    try {
      await pushTraffic('so_cubic', 2 * 1024 * 1024);
    } finally {
      link.close();
    }
    const bss = obj.readGlobals('.bss');
    expect(bss.init_calls).toBeGreaterThan(0n);
    expect(bss.cong_avoid_calls).toBeGreaterThan(0n);
  });

  test('without FUNC the kernel rejects the sanitized BTF (FUNC_PROTO -> ENUM with unnamed enumerators)', async () => {
    // libbpf rewrites the same way; kernels without BTF FUNC (< 4.20) predate struct_ops (5.6),
    // so no struct_ops object ever needs this rewrite. Programs would also lose func_info.
    const err = await loadSanitized('reno', { func: false }, loaded).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_BTF_LOAD' });
    expect((err as BpfError).verifierLog).toMatch(/ENUM.*Invalid name/);
  });
});
