import { openObject, type BpfObject, type LoadPlan, type PlannedProgLoad } from '../../../lib';
import { Btf, BtfKind } from '../../../lib/btf';
import { BPF_F_LINK, BPF_F_VTYPE_BTF_OBJ_FD, BpfMapType, BpfProgType } from '../../../lib/sys';
import { fixture } from '../../helpers/fixtures';
import { DUMMY_FD, IDS, MOD_FD, fixtureKernel } from './fixture';

const u32 = (b: Buffer, off: number): number => b.readUInt32LE(off);

/** The BPF_PSEUDO_KFUNC_CALL instructions of a program: index, imm (BTF id), off (fd_array slot). */
function kfuncCalls(p: PlannedProgLoad): { insn: number; imm: number; off: number }[] {
  const insns = p.attr.insns;
  const out: { insn: number; imm: number; off: number }[] = [];
  for (let i = 0; i < insns.length / 8; i++) {
    if (insns[i * 8] === 0x85 && insns[i * 8 + 1] >> 4 === 2) {
      out.push({ insn: i, imm: insns.readInt32LE(i * 8 + 4), off: insns.readInt16LE(i * 8 + 2) });
    }
  }
  return out;
}

describe('load plan of an object whose struct_ops type and kfuncs live in kernel modules', () => {
  let obj: BpfObject;
  let plan: LoadPlan;
  beforeAll(async () => {
    obj = await openObject(fixture('so_mod'));
    plan = obj.planLoad({ kernel: fixtureKernel() });
  });
  afterAll(() => obj.close());

  test('plans one STRUCT_OPS map per variable and both programs, with the module fds it used', () => {
    expect(plan.maps.map((m) => [m.name, m.kind])).toEqual([['so_mod_link', 'struct_ops'], ['so_mod_legacy', 'struct_ops']]);
    expect(plan.programs.map((p) => p.name).sort()).toEqual(['mod_init', 'mod_run']);
    expect(plan.moduleFds).toEqual(new Map([['so_mod', MOD_FD], ['so_dummy', DUMMY_FD]]));
    expect(plan.btfFd).toBe(100);
    expect(plan.maps.map((m) => m.fd)).toEqual([101, 102]);
    expect(plan.warnings).toEqual([]);
  });

  test.each([
    ['so_mod_link', BPF_F_VTYPE_BTF_OBJ_FD | BPF_F_LINK],
    ['so_mod_legacy', BPF_F_VTYPE_BTF_OBJ_FD],
  ])('MAP_CREATE %s: bytes carry the module value type, the module fd and the flags', (name, flags) => {
    const m = plan.maps.find((x) => x.name === name)!;
    const b = m.bytes;
    expect(b.length).toBe(96); // the whole MAP_CREATE struct of Linux 6.18
    expect(u32(b, 0)).toBe(BpfMapType.STRUCT_OPS); // map_type
    expect(u32(b, 4)).toBe(4); // key_size
    expect(u32(b, 8)).toBe(128); // value_size = sizeof(struct bpf_struct_ops_so_mod_ops)
    expect(u32(b, 12)).toBe(1); // max_entries
    expect(u32(b, 16)).toBe(flags); // map_flags
    expect(flags & 0x8000).toBe(0x8000);
    expect(b.toString('latin1', 28, 28 + name.length)).toBe(name); // map_name
    expect(u32(b, 48)).toBe(plan.btfFd); // btf_fd: the object BTF, never kernel BTF
    expect(u32(b, 52)).toBe(0); // btf_key_type_id
    expect(u32(b, 56)).toBe(0); // btf_value_type_id
    expect(u32(b, 60)).toBe(IDS.soMod.value); // btf_vmlinux_value_type_id: the module's value type
    expect(u32(b, 60)).toBeGreaterThanOrEqual(IDS.base.count); // ... a split id
    expect(u32(b, 72)).toBe(MOD_FD); // value_type_btf_obj_fd
  });

  test.each([
    ['mod_init', 3],
    ['mod_run', 2],
  ])('PROG_LOAD %s: attach to the module struct (obj fd) at the kernel member index', (name, member) => {
    const p = plan.programs.find((x) => x.name === name)!;
    const b = p.bytes;
    expect(b.length).toBe(168); // the whole PROG_LOAD struct of Linux 6.18
    expect(u32(b, 0)).toBe(BpfProgType.STRUCT_OPS); // prog_type
    expect(u32(b, 4)).toBe(p.attr.insns.length / 8); // insn_cnt
    expect(u32(b, 68)).toBe(member); // expected_attach_type = kernel member index
    expect(u32(b, 72)).toBe(plan.btfFd); // prog_btf_fd
    expect(u32(b, 108)).toBe(IDS.soMod.ops); // attach_btf_id = the module's struct so_mod_ops
    expect(u32(b, 112)).toBe(MOD_FD); // attach_btf_obj_fd
    expect(b.toString('latin1', 48, 48 + name.length)).toBe(name); // prog_name
    // Pointer fields are filled by the addon from these buffers.
    expect(p.buffers[0]).toBe(p.attr.insns);
    expect(p.buffers[1]?.toString('latin1')).toBe('GPL\0');
    expect(p.buffers[2]).toBeNull();
    expect(p.buffers[5]).toBe(p.attr.fdArray);
  });

  test('fd_array@120 holds each module fd at the slot its kfunc calls use as off; vmlinux kfuncs use off 0', () => {
    const fdArray = plan.programs[0].buffers[5]!;
    expect(fdArray.length).toBe(3 * 4); // slot 0 unused, then one slot per module
    expect(fdArray.readInt32LE(0)).toBe(0);
    expect(new Set([fdArray.readInt32LE(4), fdArray.readInt32LE(8)])).toEqual(new Set([MOD_FD, DUMMY_FD]));
    for (const p of plan.programs) expect(p.buffers[5]!.equals(fdArray)).toBe(true);

    const init = kfuncCalls(plan.programs.find((p) => p.name === 'mod_init')!);
    expect(init).toHaveLength(1);
    expect(init[0].imm).toBe(IDS.soMod.kfunc);
    expect(fdArray.readInt32LE(init[0].off * 4)).toBe(MOD_FD);

    const run = kfuncCalls(plan.programs.find((p) => p.name === 'mod_run')!);
    expect(run.map((c) => c.imm)).toEqual([IDS.soMod.kfunc, IDS.soDummy.kfunc, IDS.base.baseKfunc]);
    expect(fdArray.readInt32LE(run[0].off * 4)).toBe(MOD_FD);
    expect(run[0].off).toBe(init[0].off);
    expect(fdArray.readInt32LE(run[1].off * 4)).toBe(DUMMY_FD);
    expect(run[1].off).not.toBe(run[0].off);
    expect(run[2].off).toBe(0);
    for (const c of run) expect(c.off).toBeGreaterThanOrEqual(c.imm === IDS.base.baseKfunc ? 0 : 1);
  });

  test('the object BTF of the plan is what BTF_LOAD gets: kfuncs made global, .ksyms points at int VARs', () => {
    const btf = Btf.parse(plan.btf);
    expect(btf.findByName('so_mod_kfunc', BtfKind.FUNC)).toMatchObject({ linkage: 1 });
    const ksyms = btf.findByName('.ksyms', BtfKind.DATASEC);
    expect(ksyms?.kind === BtfKind.DATASEC && ksyms.vars.map((v) => btf.typeById(v.type).name)).toEqual(
      ['dummy_ksym', 'dummy_ksym', 'dummy_ksym'],
    );
  });

  test('planning changes nothing in the object', () => {
    for (const p of obj.programs.values()) expect([p.attachBtfId, p.expectedAttachType, p.loaded]).toEqual([0, 0, false]);
    expect(obj.warnings).toEqual([]);
    expect(obj.planLoad({ kernel: fixtureKernel() }).programs.map((p) => p.bytes)).toEqual(plan.programs.map((p) => p.bytes));
  });

  test('without the module, planning fails like load(): its kfunc is not in kernel BTF', () => {
    const kernel = fixtureKernel();
    const onlyDummy = { vmlinux: kernel.vmlinux, modules: [{ name: 'so_dummy', btf: [...kernel.sources()][1].btf }] };
    expect(() => obj.planLoad({ kernel: onlyDummy })).toThrow(expect.objectContaining({
      code: 'ENOENT', message: expect.stringContaining('kfunc so_mod_kfunc is not defined by the running kernel'),
    }));
  });

  test('without either module, one error names every missing kfunc, not just the first', () => {
    const kernel = fixtureKernel();
    let err: unknown;
    try {
      obj.planLoad({ kernel: { vmlinux: kernel.vmlinux, modules: [] } });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'BpfError', code: 'ENOENT' });
    expect((err as Error).message).toBe('kfunc so_mod_kfunc, kfunc so_dummy_kfunc are not defined by the running kernel (vmlinux or modules)');
  });
});
