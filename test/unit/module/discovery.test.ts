import { Btf, BtfKind } from '../../../lib/btf';
import { openObject } from '../../../lib';
import { KernelBtfs } from '../../../lib/kernel';
import { resolveKsyms } from '../../../lib/object/load/ksyms';
import { findKernelStructOps, planStructOps } from '../../../lib/struct-ops';
import { fixture } from '../../helpers/fixtures';
import { DUMMY_FD, IDS, MOD_FD, fixtureKernel, parseFixtures, readBlob } from './fixture';

describe('split-BTF module fixtures', () => {
  test('parse as split BTF: module ids and strings continue after the base', () => {
    const { base, soMod, soDummy } = parseFixtures();
    expect(base.typeCount).toBe(IDS.base.count);
    expect(soMod.startId).toBe(IDS.base.count);
    expect(soDummy.startId).toBe(IDS.base.count);
    expect(soMod.typeCount).toBe(IDS.soMod.count);
    expect(soMod.typeById(IDS.soMod.ops)).toMatchObject({ kind: BtfKind.STRUCT, name: 'so_mod_ops', size: 48 });
    expect(soMod.typeById(IDS.soMod.value)).toMatchObject({ name: 'bpf_struct_ops_so_mod_ops', size: 128 });
    // Base types and strings are reachable through the module.
    expect(soMod.typeById(IDS.base.commonValue)).toBe(base.typeById(IDS.base.commonValue));
    expect(soMod.typeName(IDS.soMod.value)).toBe('struct bpf_struct_ops_so_mod_ops');
    // The module reuses the base's string for its own struct so_mod_ops.
    expect(soMod.typeById(IDS.soMod.ops).nameOff).toBe(base.typeById(IDS.base.decoyOps).nameOff);
  });

  test('a module blob cannot be parsed without its base', () => {
    expect(() => Btf.parse(readBlob('so_mod'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('KernelBtfs with injected vmlinux and modules', () => {
  test('finds the struct_ops type in the module (vmlinux first, then modules in order)', () => {
    const kernel = fixtureKernel();
    expect([...kernel.sources()].map((s) => s.module)).toEqual([undefined, 'so_dummy', 'so_mod']);
    expect(kernel.moduleNames()).toEqual(['so_dummy', 'so_mod']);
    const kt = findKernelStructOps('so_mod_ops', kernel.sources())!;
    expect(kt).toMatchObject({
      name: 'so_mod_ops', module: 'so_mod', typeId: IDS.soMod.ops, valueTypeId: IDS.soMod.value, valueSize: 128, dataOffset: 64,
    });
    // Split ids: at or above the base's type count.
    expect(kt.typeId).toBeGreaterThanOrEqual(kernel.vmlinux.typeCount);
    expect(kt.valueTypeId).toBeGreaterThanOrEqual(kernel.vmlinux.typeCount);
    expect(kt.btf.name).toBe('so_mod');
    // vmlinux alone does not have it (only a same-named decoy struct without a value type).
    expect(findKernelStructOps('so_mod_ops', [{ btf: kernel.vmlinux }])).toBeUndefined();
  });

  test('searches a module for its own types only, not the same-named vmlinux struct', () => {
    const { base, soMod } = parseFixtures();
    // Through the split BTF, the name lookup finds the base's decoy first...
    expect(soMod.findByName('so_mod_ops', BtfKind.STRUCT)?.id).toBe(IDS.base.decoyOps);
    // ...but the module's struct_ops type is its own.
    const kt = findKernelStructOps('so_mod_ops', [{ btf: base }, { btf: soMod, module: 'so_mod' }]);
    expect(kt?.typeId).toBe(IDS.soMod.ops);
  });

  test('a module given as a function is parsed once, when iteration reaches it', () => {
    const { base, soMod } = parseFixtures();
    const parse = jest.fn(() => soMod);
    const kernel = new KernelBtfs({ vmlinux: base, modules: [{ name: 'so_mod', btf: parse }] });
    expect(parse).not.toHaveBeenCalled();
    expect(findKernelStructOps('so_mod_ops', kernel.sources())?.module).toBe('so_mod');
    expect(findKernelStructOps('so_mod_ops', kernel.sources())?.module).toBe('so_mod');
    expect(parse).toHaveBeenCalledTimes(1);
  });

  test('module fds come from the provider, once, and are not closed by close()', () => {
    const provider = jest.fn(() => MOD_FD);
    const kernel = fixtureKernel({ soMod: { fd: provider } });
    expect(kernel.moduleFd('so_mod')).toBe(MOD_FD);
    expect(kernel.moduleFd('so_mod')).toBe(MOD_FD);
    expect(kernel.moduleFd('so_dummy')).toBe(DUMMY_FD);
    expect(provider).toHaveBeenCalledTimes(1);
    kernel.close();
  });

  test('resolves kfuncs in vmlinux, then each module, to ids in the BTF that has them', async () => {
    const obj = await openObject(fixture('so_mod'));
    const ksyms = resolveKsyms(obj.spec, fixtureKernel());
    expect(Object.fromEntries(ksyms)).toEqual({
      so_mod_kfunc: { btfId: IDS.soMod.kfunc, module: 'so_mod' },
      so_dummy_kfunc: { btfId: IDS.soDummy.kfunc, module: 'so_dummy' },
      so_base_kfunc: { btfId: IDS.base.baseKfunc, module: undefined },
    });
  });

  test('matches members by name across the split: kernel indexes and offsets, base member types', async () => {
    const obj = await openObject(fixture('so_mod'));
    const kt = findKernelStructOps('so_mod_ops', fixtureKernel().sources())!;
    const s = obj.spec.structOps.find((x) => x.name === 'so_mod_link')!;
    const plan = planStructOps({ name: s.name, typeId: s.typeId, data: s.data, programs: s.programs }, obj.spec.btf, kt, 'so_mod');
    // Kernel order: flags 0, cleanup 1, run 2, init 3, name 4; value data at 64.
    expect(plan.slots).toEqual([
      { member: 'init', memberIndex: 3, offset: 64 + 24, program: 'mod_init' },
      { member: 'run', memberIndex: 2, offset: 64 + 16, program: 'mod_run' },
    ]);
    expect(plan.template.length).toBe(128);
    expect(plan.template.readUInt32LE(64)).toBe(5); // flags: unsigned int from the base
    expect(plan.template.toString('latin1', 64 + 32, 64 + 32 + 11)).toBe('so_mod_link'); // char[16] from the base
    expect(plan.template.readUInt8(64 + 32 + 11)).toBe(0);
    // cleanup (kernel-only) and everything else stay zero.
    expect(plan.template.subarray(0, 64).every((b) => b === 0)).toBe(true);
    expect(plan.template.readBigUInt64LE(64 + 8)).toBe(0n);
    expect(plan.warnings).toEqual([]);
  });
});
