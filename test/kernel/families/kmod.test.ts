/**
 * A struct_ops type from a kernel module, for real: test/kmod's structops_kmod registers
 * struct structops_kmod_ops (in its own BTF) and a kfunc. Our fixture
 * (test/fixtures/bpf/families/kmod_ops.bpf.c) registers against it: the map names the
 * module's BTF, the kfunc call goes through an fd_array slot, the module's debugfs trigger
 * runs our programs, and the module stays pinned while the registration lives.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BpfLink, BpfObject, KernelBtfs, listStructOpsTypes, openObject } from '../../../lib';
import type { StructOpsTypeInfo } from '../../../lib';
import { cli } from '../../helpers/child-cli';
import { btfGetInfo } from '../../../lib/sys';
import { bpftoolJson } from '../../helpers/bpftool';
import {
  TEST_MODULE, TEST_MODULE_PATH, TEST_MODULE_TYPE, describeFamily, evidence, familyFixture, loadedModules, pollUntil,
  type InspectJson,
} from '../../helpers/families';

const TRIGGER = `/sys/kernel/debug/${TEST_MODULE}/trigger`;
const BPF_PSEUDO_KFUNC_CALL = 2;

const rmmod = (): void => { execFileSync('rmmod', [TEST_MODULE], { stdio: 'pipe' }); };
const trigger = (x: number): void => writeFileSync(TRIGGER, String(x));
const triggerState = (): Record<string, string> =>
  Object.fromEntries(readFileSync(TRIGGER, 'utf8').trim().split(' ').map((kv) => kv.split('=') as [string, string]));

/** kfunc calls (code 0x85, src_reg BPF_PSEUDO_KFUNC_CALL) of an instruction buffer: imm and off. */
function kfuncCalls(insns: Buffer): { imm: number; off: number }[] {
  const out = [];
  for (let i = 0; i + 8 <= insns.length; i += 8) {
    if (insns[i] === 0x85 && insns[i + 1] >> 4 === BPF_PSEUDO_KFUNC_CALL) out.push({ imm: insns.readInt32LE(i + 4), off: insns.readInt16LE(i + 2) });
  }
  return out;
}

describeFamily('module', 'struct_ops type of a kernel module (test/kmod)', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  beforeAll(() => {
    if (loadedModules().includes(TEST_MODULE)) rmmod();
    execFileSync('insmod', [TEST_MODULE_PATH], { stdio: 'pipe' });
  });
  afterAll(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    if (loadedModules().includes(TEST_MODULE)) rmmod();
  });

  test('insmod: the module BTF appears, its type is listed with the module as its home', () => {
    expect(loadedModules()).toContain(TEST_MODULE);
    expect(existsSync(`/sys/kernel/btf/${TEST_MODULE}`)).toBe(true);
    const t = listStructOpsTypes(TEST_MODULE_TYPE);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ name: TEST_MODULE_TYPE, module: TEST_MODULE });
    expect(t[0].members.map((m) => m.name)).toEqual(['compute', 'observe', 'name']);
    // The CLI agrees: the module is the type's home, parameter names from its cfi stubs.
    const r = cli(['types', TEST_MODULE_TYPE, '--json']);
    expect(r.code).toBe(0);
    const [listed] = JSON.parse(r.stdout) as StructOpsTypeInfo[];
    expect(listed).toMatchObject({ name: TEST_MODULE_TYPE, module: TEST_MODULE });
    expect(listed.members.map((m) => m.declaration)).toEqual(['int (*compute)(int x)', 'void (*observe)(u64 v)', 'char name[16]']);
    expect(cli(['types']).stdout).toMatch(new RegExp(`^${TEST_MODULE_TYPE}\\s+${TEST_MODULE}\\s`, 'm'));
    const report = JSON.parse(cli(['inspect', familyFixture('kmod_ops'), '--json']).stdout) as InspectJson;
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    // The CLI's JSON uses bpftool's snake_case keys.
    expect(report.struct_ops[0]).toMatchObject({ name: 'so10b_kmod', kernel_type: TEST_MODULE_TYPE, kernel: { module: TEST_MODULE } });
  });

  test('registers against the module type: map value type in the module BTF (bpftool agrees), kfunc through fd_array, trigger runs our programs; rmmod refused until unregistered', async () => {
    const obj = await openObject(familyFixture('kmod_ops'));
    objects.push(obj);

    // What load() will send: the kfunc call's off names the fd_array slot of the module BTF.
    const kernel = new KernelBtfs();
    try {
      const plan = obj.planLoad({ kernel });
      const modFd = plan.moduleFds.get(TEST_MODULE)!;
      expect(btfGetInfo(modFd)).toMatchObject({ name: TEST_MODULE, kernelBtf: true });
      const compute = plan.programs.find((p) => p.name === 'k_compute')!;
      const calls = kfuncCalls(compute.attr.insns);
      expect(calls).toHaveLength(1);
      expect(calls[0].off).toBeGreaterThan(0);
      expect(compute.attr.fdArray!.readInt32LE(calls[0].off * 4)).toBe(modFd);
      expect(compute.attr.attachBtfObjFd).toBe(modFd);
      const mapPlan = plan.maps.find((m) => m.name === 'so10b_kmod')!;
      expect(mapPlan.attr.valueTypeBtfObjFd).toBe(modFd);
    } finally {
      kernel.close();
    }

    await obj.load();
    const ops = obj.structOps.get('so10b_kmod')!;
    const modBtfId = (bpftoolJson<{ id: number; name?: string }[]>('btf', 'show') ?? []).find((b) => b.name === TEST_MODULE)?.id;
    expect(modBtfId).toBeGreaterThan(1);
    const info = ops.info();
    expect(info.btfVmlinuxId).toBe(modBtfId); // the map's value_type_btf_obj_id
    const valueType = listStructOpsTypes(TEST_MODULE_TYPE)[0].valueTypeId;
    expect(info.btfVmlinuxValueTypeId).toBe(valueType);
    const shown = bpftoolJson<Record<string, unknown>>('map', 'show', 'id', String(ops.id))!;
    expect(shown).toMatchObject({ id: ops.id, type: 'struct_ops' });
    if ('btf_vmlinux_value_type_id' in shown) expect(shown.btf_vmlinux_value_type_id).toBe(valueType);
    const dumped = bpftoolJson<{ types: { id: number; kind: string; name: string }[] }>('btf', 'dump', 'id', String(modBtfId));
    expect(dumped.types.find((t) => t.name === `bpf_struct_ops_${TEST_MODULE_TYPE}`)).toMatchObject({ id: valueType, kind: 'STRUCT' });

    const link = await ops.attach();
    links.push(link);
    expect(triggerState().name).toBe('so10b_kmod');
    trigger(5);
    trigger(7);
    expect(triggerState()).toMatchObject({ triggers: '2', last: '107', kfunc_calls: '2' });
    expect(obj.readGlobals('.bss')).toMatchObject({ last_x: 7 });
    expect(Number(obj.readGlobals('.bss').computed)).toBe(2);
    expect(Number(obj.readGlobals('.bss').observed)).toBe(107);

    // Registered: the module is in use.
    let refusal = '';
    try { rmmod(); } catch (e) { refusal = String((e as { stderr?: Buffer }).stderr ?? e).trim(); }
    expect(refusal).not.toBe('');
    evidence('module', `module BTF id ${modBtfId}; map ${ops.id} btf_vmlinux_id=${info.btfVmlinuxId} btf_vmlinux_value_type_id=${info.btfVmlinuxValueTypeId} (bpftool map show: ${JSON.stringify(shown)}); trigger: ${readFileSync(TRIGGER, 'utf8').trim()}; rmmod while registered: ${refusal}`);
    expect(loadedModules()).toContain(TEST_MODULE);

    link.close();
    links.pop();
    expect(() => trigger(1)).toThrow(); // ENOENT: nothing registered
    obj.close();
    objects.pop();
    // The map drops its module reference once the kernel frees it (after an RCU grace
    // period): until then rmmod says EAGAIN. Bounded retries.
    const removed = await pollUntil(() => {
      try { rmmod(); return true; } catch { return false; }
    }, (ok) => ok, 100, 50);
    expect(removed).toBe(true);
    expect(loadedModules()).not.toContain(TEST_MODULE);
    expect(existsSync(`/sys/kernel/btf/${TEST_MODULE}`)).toBe(false);
  });
});
