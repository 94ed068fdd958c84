/**
 * What of the module path can be checked on a kernel without modules (the dev VM has
 * none): the default discovery, that a load plan is exactly what load() sends (for
 * vmlinux types), and that the kernel reads the module fields at the offsets the loader
 * writes them (value_type_btf_obj_fd, attach_btf_obj_fd, fd_array[insn.off]).
 * The module path itself is covered by test/unit/module (split-BTF fixtures).
 */
import { readdirSync } from 'node:fs';
import { BpfObject, loadKernelBtf, openObject } from '../../lib';
import { BtfKind } from '../../lib/btf';
import { probeBtfFeatures } from '../../lib/kernel';
import { KernelBtfs } from '../../lib/kernel';
import {
  BPF_F_VTYPE_BTF_OBJ_FD, BpfMapType, BpfProgType, btfGetFdById, btfGetInfo, btfLoad, mapCreate, progLoad, type Fd,
} from '../../lib/sys';
import { kernelAtLeast, skipLinkMapsIfUnsupported } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { catchBpf } from '../helpers/errors';

const NEVER_OPEN_FD = 0x7fff_ffff;

/** One BPF instruction. */
function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

describeKernel('kernel BTF discovery (the default sources)', () => {
  test('vmlinux, then every module in /sys/kernel/btf (none on the dev VM), each with its BTF object', () => {
    const kernel = new KernelBtfs();
    try {
      const modules = readdirSync('/sys/kernel/btf').filter((e) => e !== 'vmlinux').sort();
      expect(kernel.moduleNames()).toEqual(modules);
      const sources = [...kernel.sources()];
      expect(sources.map((s) => s.module)).toEqual([undefined, ...modules]);
      expect(sources[0].btf).toBe(loadKernelBtf());
      for (const s of sources.slice(1)) {
        expect(s.btf.startId).toBe(kernel.vmlinux.typeCount);
        const info = btfGetInfo(kernel.moduleFd(s.module!));
        expect(info).toMatchObject({ kernelBtf: true, name: s.module });
      }
      // The lookup by name finds kernel BTF objects (vmlinux too), and nothing for an unknown name.
      expect(btfGetInfo(kernel.moduleFd('vmlinux'))).toMatchObject({ kernelBtf: true, name: 'vmlinux' });
      expect(() => kernel.moduleFd('so_no_such_module')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    } finally {
      kernel.close();
    }
  });
});

describeKernel('a load plan is what load() sends (vmlinux types)', () => {
  const objects: BpfObject[] = [];
  afterEach(() => {
    for (const o of objects.splice(0)) o.close();
  });

  test.each(['cubic', 'reno', 'shadow'])('%s: every map and program as planned, and the object BTF byte for byte', async (name) => {
    const obj = await openObject(fixture(name));
    objects.push(obj);
    skipLinkMapsIfUnsupported(obj);
    const plan = obj.planLoad({ btfFeatures: probeBtfFeatures() });
    await obj.load();

    expect(plan.maps.map((m) => m.name).sort()).toEqual([...obj.maps.values()].filter((m) => m.loaded).map((m) => m.name).sort());
    for (const m of plan.maps) {
      const info = obj.maps.get(m.name)!.info();
      expect([m.name, info]).toMatchObject([m.name, {
        type: m.attr.mapType, keySize: m.attr.keySize, valueSize: m.attr.valueSize, maxEntries: m.attr.maxEntries,
        mapFlags: m.attr.mapFlags ?? 0, name: m.attr.mapName, btfKeyTypeId: m.attr.btfKeyTypeId ?? 0,
        btfValueTypeId: m.attr.btfValueTypeId ?? 0, btfVmlinuxValueTypeId: m.attr.btfVmlinuxValueTypeId ?? 0,
      }]);
    }
    expect(plan.programs.map((p) => p.name).sort()).toEqual([...obj.programs.values()].filter((p) => p.loaded).map((p) => p.name).sort());
    for (const p of plan.programs) {
      const prog = obj.programs.get(p.name)!;
      expect([p.name, prog.info()]).toMatchObject([p.name, { type: p.attr.progType, attachBtfId: p.attr.attachBtfId ?? 0 }]);
      expect([prog.attachBtfId, prog.expectedAttachType]).toEqual([p.attr.attachBtfId, p.attr.expectedAttachType]);
    }
    const structOps = plan.maps.find((m) => m.kind === 'struct_ops')!;
    const btfFd = btfGetFdById(obj.maps.get(structOps.name)!.info().btfId);
    try {
      expect(btfGetInfo(btfFd, { withData: true }).data!.equals(plan.btf)).toBe(true);
    } finally {
      btfFd.close();
    }
  });
});

describeKernel('the kernel reads the module fields where the loader writes them', () => {
  const fds: Fd[] = [];
  let kernel: KernelBtfs;
  let vmlinuxFd: number;
  let objectBtf: Fd;
  // Kernel ids, looked up in beforeAll (tcp_congestion_ops, its value type, member, kfunc).
  const k = { ops: 0, value: 0, valueSize: 0, ssthresh: 0, kfunc: 0 };

  beforeAll(async () => {
    const vmlinux = loadKernelBtf();
    const ops = vmlinux.findByName('tcp_congestion_ops', BtfKind.STRUCT)!;
    const value = vmlinux.findByName('bpf_struct_ops_tcp_congestion_ops', BtfKind.STRUCT)!;
    Object.assign(k, {
      ops: ops.id, value: value.id, valueSize: value.kind === BtfKind.STRUCT ? value.size : 0,
      ssthresh: vmlinux.memberByName(ops.id, 'ssthresh')!.index, kfunc: vmlinux.findByName('tcp_reno_ssthresh', BtfKind.FUNC)!.id,
    });
    kernel = new KernelBtfs();
    vmlinuxFd = kernel.moduleFd('vmlinux');
    // The object BTF of a real fixture, as the plan encodes it.
    const obj = await openObject(fixture('reno'));
    objectBtf = btfLoad(obj.planLoad().btf);
    obj.close();
    fds.push(objectBtf);
  });
  afterAll(() => {
    for (const fd of fds) fd.close();
    kernel.close();
  });

  /** The struct_ops map attr of the plan path, with the module fields set by hand. */
  const mapAttr = (flags: number, valueTypeBtfObjFd?: number): Parameters<typeof mapCreate>[0] => ({
    mapType: BpfMapType.STRUCT_OPS, keySize: 4, valueSize: k.valueSize, maxEntries: 1, mapFlags: flags,
    mapName: 'so_mod_probe', btfFd: objectBtf, btfVmlinuxValueTypeId: k.value, valueTypeBtfObjFd,
  });

  test('MAP_CREATE: with BPF_F_VTYPE_BTF_OBJ_FD the kernel takes the BTF object from value_type_btf_obj_fd@72', () => {
    fds.push(mapCreate(mapAttr(0)));
    // An fd no process can have: the kernel looked it up (EBADF). Before 6.9 the flag itself
    // is unknown: EINVAL, no fd looked up.
    expect(catchBpf(() => mapCreate(mapAttr(BPF_F_VTYPE_BTF_OBJ_FD, NEVER_OPEN_FD))))
      .toMatchObject({ code: kernelAtLeast(6, 9) ? 'EBADF' : 'EINVAL' });
    // vmlinux and user BTF are not module BTF: EINVAL. (A module's BTF fd is what the loader sends.)
    expect(catchBpf(() => mapCreate(mapAttr(BPF_F_VTYPE_BTF_OBJ_FD, vmlinuxFd)))).toMatchObject({ code: 'EINVAL' });
    expect(catchBpf(() => mapCreate(mapAttr(BPF_F_VTYPE_BTF_OBJ_FD, objectBtf.raw)))).toMatchObject({ code: 'EINVAL' });
  });

  /** A struct_ops ssthresh program: r1 = ctx[0] (sk); r0 = tcp_reno_ssthresh(sk) through kfunc slot `off`. */
  const progAttr = (off: number, extra: Partial<Parameters<typeof progLoad>[0]> = {}): Parameters<typeof progLoad>[0] => ({
    progType: BpfProgType.STRUCT_OPS,
    insns: Buffer.concat([insn(0x79, 1, 1, 0, 0), insn(0x85, 0, 2, off, k.kfunc), insn(0x95, 0, 0, 0, 0)]),
    license: 'GPL', progName: 'so_mod_probe', expectedAttachType: k.ssthresh, attachBtfId: k.ops, ...extra,
  });

  test('PROG_LOAD: attach_btf_obj_fd@112 names the BTF of attach_btf_id (kernel BTF only)', () => {
    fds.push(progLoad(progAttr(0)));
    // The vmlinux BTF object given explicitly, as a module's would be: accepted.
    fds.push(progLoad(progAttr(0, { attachBtfObjFd: vmlinuxFd })));
    // User BTF there: ENOTSUPP (524); an fd that cannot be open: EINVAL.
    expect(catchBpf(() => progLoad(progAttr(0, { attachBtfObjFd: objectBtf.raw })))).toMatchObject({ code: 'ENOTSUPP' });
    expect(catchBpf(() => progLoad(progAttr(0, { attachBtfObjFd: NEVER_OPEN_FD })))).toMatchObject({ code: 'EINVAL' });
  });

  test('PROG_LOAD: a kfunc call with off = n takes its BTF from fd_array@120 slot n', () => {
    const slot = (fd: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeInt32LE(fd, 4);
      return b;
    };
    expect(catchBpf(() => progLoad(progAttr(1))).verifierLog).toMatch(/kfunc offset > 0 without fd_array is invalid/);
    expect(catchBpf(() => progLoad(progAttr(1, { fdArray: slot(NEVER_OPEN_FD) }))).verifierLog)
      .toMatch(/invalid module BTF fd specified/);
    // The verifier read slot 1 and found vmlinux: right slot, only not a module.
    expect(catchBpf(() => progLoad(progAttr(1, { fdArray: slot(vmlinuxFd) }))).verifierLog)
      .toMatch(/BTF fd for kfunc is not a module BTF/);
  });
});
