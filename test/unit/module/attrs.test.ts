import { ALL_BTF_FEATURES } from '../../../lib/btf';
import { openObject } from '../../../lib';
import { plainMapAttr } from '../../../lib/object/load/attrs';
import type { MapSpec } from '../../../lib/object/spec';
import { BpfMapType, BpfProgType, encodeMapCreateAttr, encodeProgLoadAttr } from '../../../lib/sys';
import { fixture } from '../../helpers/fixtures';
import { fixtureKernel } from './fixture';

const u32 = (b: Buffer, off: number): number => b.readUInt32LE(off);

describe('lib/sys attr encoders (the bytes bpf() receives)', () => {
  test('encodeMapCreateAttr puts every field at its union bpf_attr offset', () => {
    const b = encodeMapCreateAttr({
      mapType: 1, keySize: 2, valueSize: 3, maxEntries: 4, mapFlags: 5, innerMapFd: 6, numaNode: 7, mapName: 'eight',
      mapIfindex: 9, btfFd: 10, btfKeyTypeId: 11, btfValueTypeId: 12, btfVmlinuxValueTypeId: 13, mapExtra: 14n,
      valueTypeBtfObjFd: 15,
    });
    expect(b.length).toBe(96); // the whole MAP_CREATE struct of Linux 6.18
    expect([0, 4, 8, 12, 16, 20, 24].map((o) => u32(b, o))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(b.toString('latin1', 28, 44)).toBe('eight'.padEnd(16, '\0'));
    expect([44, 48, 52, 56, 60].map((o) => u32(b, o))).toEqual([9, 10, 11, 12, 13]);
    expect(b.readBigUInt64LE(64)).toBe(14n);
    expect(u32(b, 72)).toBe(15);
    // Unset fields stay zero.
    expect(encodeMapCreateAttr({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 1 }).subarray(16).every((x) => x === 0)).toBe(true);
  });

  test('encodeProgLoadAttr: scalar fields in the bytes, pointer fields as buffers in native order', () => {
    const insns = Buffer.alloc(16);
    const funcInfo = Buffer.alloc(8);
    const lineInfo = Buffer.alloc(32);
    const fdArray = Buffer.alloc(8);
    const { attr, buffers } = encodeProgLoadAttr({
      progType: BpfProgType.STRUCT_OPS, insns, license: 'GPL', progFlags: 0x10, progName: 'p', expectedAttachType: 3,
      progBtfFd: 20, funcInfo, lineInfo, attachBtfId: 21, attachBtfObjFd: 22, fdArray, kernVersion: 23,
    });
    expect(attr.length).toBe(168); // the whole PROG_LOAD struct of Linux 6.18
    expect([0, 4, 40, 44, 68, 72, 76, 88, 92, 104, 108, 112].map((o) => u32(attr, o)))
      .toEqual([BpfProgType.STRUCT_OPS, 2, 23, 0x10, 3, 20, 8, 1, 16, 2, 21, 22]);
    expect(attr.toString('latin1', 48, 50)).toBe('p\0');
    // Pointers (insns@8, license@16, log@32, func_info@80, line_info@96, fd_array@120) are zero here.
    for (const o of [8, 16, 32, 80, 96, 120]) expect(attr.readBigUInt64LE(o)).toBe(0n);
    expect(u32(attr, 24)).toBe(0); // log_level: the first attempt has no log
    expect(buffers).toEqual([insns, Buffer.from('GPL\0'), null, funcInfo, lineInfo, fdArray]);
    expect(buffers[5]).toBe(fdArray);
  });
});

describe('loader attrs for kernels without some BTF kinds', () => {
  test('no FUNC: programs are loaded without prog BTF, func_info and line_info (as libbpf does)', async () => {
    const obj = await openObject(fixture('so_mod'));
    const withFunc = obj.planLoad({ kernel: fixtureKernel() });
    const noFunc = obj.planLoad({ kernel: fixtureKernel(), btfFeatures: { func: false } });
    expect(noFunc.btfFeatures).toEqual({ ...ALL_BTF_FEATURES, func: false });
    for (const [i, p] of noFunc.programs.entries()) {
      expect(withFunc.programs[i].attr.funcInfo).toBeDefined();
      expect(u32(withFunc.programs[i].bytes, 72)).toBe(withFunc.btfFd);
      expect(p.attr).toMatchObject({ progBtfFd: undefined, funcInfo: undefined, lineInfo: undefined });
      for (const o of [72, 76, 88, 92, 104]) expect(u32(p.bytes, o)).toBe(0);
      expect([p.buffers[3] ?? null, p.buffers[4] ?? null]).toEqual([null, null]);
    }
    // The struct_ops maps still get the object BTF fd (mandatory).
    for (const m of noFunc.maps) expect(u32(m.bytes, 48)).toBe(noFunc.btfFd);
    obj.close();
  });

  test('no DATASEC: global-data maps are created without BTF types; BTF-defined maps keep theirs', () => {
    const spec = (kind: MapSpec['kind']): MapSpec => ({
      name: 'x', kernelName: 'x', kind, type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0,
      numaNode: 0, mapExtra: 0n, btfKeyTypeId: kind === 'user' ? 1 : 0, btfValueTypeId: 7, freeze: false, section: '.bss',
      pinByName: false,
    });
    expect(plainMapAttr(spec('data'), 9)).toMatchObject({ btfFd: 9, btfValueTypeId: 7 });
    expect(plainMapAttr(spec('data'), 9, false)).toMatchObject({ btfFd: undefined, btfKeyTypeId: 0, btfValueTypeId: 0 });
    expect(plainMapAttr(spec('kconfig'), 9, false)).toMatchObject({ btfFd: undefined, btfValueTypeId: 0 });
    expect(plainMapAttr(spec('user'), 9, false)).toMatchObject({ btfFd: 9, btfKeyTypeId: 1, btfValueTypeId: 7 });
  });
});
