/**
 * bpf_timer / bpf_wq / kptr fields in a map value reach the kernel with their BTF: the
 * map is created with the value type, and a program that arms the timer and moves a task
 * reference through the kptr slot is accepted and runs.
 */
import { execFileSync } from 'node:child_process';
import { openObject } from '../../lib';
import { BtfKind, loadKernelBtf } from '../../lib/btf';
import { describeKernel, kernelAvailable } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

// The fixture needs struct bpf_wq (6.10) and the kfuncs bpf_task_acquire/release (6.2); a
// kernel without one of them (the VM matrix boots 6.1) gets the loader's refusal naming it.
function missingFromKernel(): string | undefined {
  if (!kernelAvailable) return undefined;
  const btf = loadKernelBtf();
  if (!btf.findByName('bpf_task_acquire', BtfKind.FUNC)) return 'bpf_task_acquire';
  if (!btf.findByName('bpf_wq', BtfKind.STRUCT)) return 'bpf_wq';
  return undefined;
}

describeKernel('special fields in map values', () => {
  const missing = missingFromKernel();
  if (missing) {
    test(`on a kernel without ${missing}, load is refused with a BpfError that names it`, async () => {
      const obj = await openObject(fixture('s10a_fields'));
      try {
        await expect(obj.load()).rejects.toMatchObject({ name: 'BpfError', message: expect.stringContaining(missing) });
      } finally {
        obj.close();
      }
    });
    return;
  }
  test('a bpf_timer, bpf_wq and __kptr in a map value load on this kernel and work', async () => {
    const obj = await openObject(fixture('s10a_fields'));
    try {
      await obj.load();
      const map = obj.maps.get('s10a_fields')!;
      const info = map.info();
      expect(info.btfValueTypeId).toBeGreaterThan(0);
      const dump = JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'id', String(info.btfId)], { encoding: 'utf8' }));
      const types = dump.types as { id: number; kind: string; name?: string; type_id?: number; members?: { name: string; type_id: number }[] }[];
      const byId = new Map(types.map((t) => [t.id, t]));
      const value = byId.get(info.btfValueTypeId)!;
      expect(value).toMatchObject({ kind: 'STRUCT', name: 's10a_elem' });
      expect(value.members!.map((m) => byId.get(m.type_id)?.name)).toEqual(expect.arrayContaining(['bpf_timer', 'bpf_wq']));
      // The kptr member keeps its type tag: PTR -> TYPE_TAG "kptr" -> struct task_struct.
      const task = value.members!.find((m) => m.name === 'task')!;
      const ptr = byId.get(task.type_id)!;
      expect(ptr.kind).toBe('PTR');
      expect(byId.get(ptr.type_id!)).toMatchObject({ kind: 'TYPE_TAG', name: 'kptr' });

      expect(obj.programs.get('s10a_fields_init')!.testRun().retval).toBe(0);
      expect(obj.readGlobals('.bss').kptr_roundtrips).toBe(1n);
    } finally {
      obj.close();
    }
  });
});
