import { execFileSync } from 'node:child_process';
import {
  BpfError, BpfLink, BpfObject, dumpStructOps, listStructOps, listStructOpsTypes, loadKernelBtf, openObject,
  type StructOpsInfo, type StructOpsProgramMember,
} from '../../lib';
import { toJson } from '../../lib/cli/format/json';
import { mapDeleteElem, mapGetFdById } from '../../lib/sys';
import { bpftoolJson, structOpsDump, structOpsShow } from '../helpers/bpftool';
import { kernelAtLeast, testWithLinks } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { describeKernel, openFdCount } from '../helpers/kernel';

/** Flattens nested JSON to `path -> leaf`, so a mismatch names the exact field. */
function flatten(value: unknown, path = '$', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out[path] = value;
    for (const [k, v] of entries) flatten(v, `${path}.${k}`, out);
  } else {
    out[path] = value;
  }
  return out;
}

/** Our dump in bpftool's JSON form, through the same serializer the CLI uses. */
function ourBpftoolDump(id: number): unknown {
  return JSON.parse(toJson(dumpStructOps(id).bpftool));
}

function infoOf(id: number): StructOpsInfo | undefined {
  return listStructOps().find((s) => s.id === id);
}

describeKernel('introspection of registered struct_ops (listStructOps, dumpStructOps)', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  const mapIds = new Set<number>();
  const open = async (name: string, algorithms: Record<string, string>): Promise<BpfObject> => {
    const obj = await openObject(fixture(name));
    objects.push(obj);
    // Unique TCP algorithm names: other suites may register the same fixtures meanwhile.
    for (const [map, algorithm] of Object.entries(algorithms)) obj.structOps.get(map)!.value.name = algorithm;
    await obj.load();
    for (const map of obj.structOps.values()) mapIds.add(map.id);
    return obj;
  };

  afterEach(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });
  afterAll(async () => {
    // Safety net for a failed test: unregister any of our maps still registered.
    for (const id of mapIds) {
      try {
        const fd = mapGetFdById(id);
        try {
          mapDeleteElem(fd, Buffer.alloc(4));
        } catch {
          // not registered, or a link map
        } finally {
          fd.close();
        }
      } catch {
        // already gone
      }
    }
    // Freed maps leave the id space asynchronously (RCU); give it a moment.
    for (let i = 0; i < 50 && structOpsShow().some((s) => mapIds.has(s.id)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(structOpsShow().filter((s) => mapIds.has(s.id))).toEqual([]);
  });

  test('reno (legacy): INIT after load, INUSE once registered, TOBEFREE after unregister; same as bpftool', async () => {
    const obj = await open('reno', { reno: 'so_isp_reno' });
    const map = obj.structOps.get('reno')!;
    const id = map.id;

    const init = infoOf(id)!;
    expect(init).toEqual({
      id, name: 'reno', kernelType: 'tcp_congestion_ops', module: 'vmlinux', state: 'INIT', refcnt: 0, linkIds: [],
      valueSize: 256, btfVmlinuxValueTypeId: map.info().btfVmlinuxValueTypeId,
    });
    expect(structOpsShow().find((s) => s.id === id)).toEqual({ id, name: init.name, kernel_struct_ops: init.kernelType });
    // While INIT the kernel returns an all-zero value: no program ids, state INIT.
    expect(flatten(ourBpftoolDump(id))).toEqual(flatten(structOpsDump(id)));
    expect(dumpStructOps(id).members.filter((m) => m.kind === 'program' && m.program !== null)).toEqual([]);

    const link = await map.attach();
    links.push(link);
    expect(infoOf(id)).toMatchObject({ state: 'INUSE', refcnt: 1, linkIds: [] });
    expect(flatten(ourBpftoolDump(id))).toEqual(flatten(structOpsDump(id)));

    const dump = dumpStructOps(id);
    expect(dump.valueTypeName).toBe('bpf_struct_ops_tcp_congestion_ops');
    expect(dump.common).toEqual({ refcnt: 1, state: 'INUSE' });
    expect(dump.mapInfo).toMatchObject({ id, name: 'reno', type: 26, value_size: 256, key_size: 4, max_entries: 1 });
    const programs = Object.fromEntries(dump.members.filter((m): m is StructOpsProgramMember => m.kind === 'program')
      .map((m) => [m.name, m.program]));
    for (const [member, prog] of [['ssthresh', 'reno_ssthresh'], ['cong_avoid', 'reno_cong_avoid'], ['undo_cwnd', 'reno_undo_cwnd']]) {
      expect(programs[member]).toEqual({ progId: obj.programs.get(prog)!.id, progName: prog });
    }
    expect(programs.set_state).toBeNull();
    // Member order and offsets are the running kernel's (7.x put cong_avoid/cong_control first).
    const kernelTcp = loadKernelBtf().findByName('tcp_congestion_ops', 'struct') as { members: { name: string; bitOffset: number }[] };
    const at = (name: string): { index: number; offset: number } => {
      const index = kernelTcp.members.findIndex((m) => m.name === name);
      return { index, offset: kernelTcp.members[index].bitOffset / 8 };
    };
    const ssthresh = dump.members.find((m) => m.name === 'ssthresh')!;
    expect(ssthresh).toMatchObject({ ...at('ssthresh'), size: 8, signature: 'u32 (struct sock *)' });
    expect(dump.members.find((m) => m.name === 'name')).toMatchObject({ kind: 'data', value: 'so_isp_reno', offset: at('name').offset, size: 16 });
    expect(dump.members.map((m) => m.name)).toEqual(
      (loadKernelBtf().findByName('tcp_congestion_ops', 'struct') as { members: { name: string }[] }).members.map((m) => m.name));

    link.close();
    expect(infoOf(id)).toMatchObject({ state: 'TOBEFREE', refcnt: 0, linkIds: [] });
    expect(flatten(ourBpftoolDump(id))).toEqual(flatten(structOpsDump(id)));
  });

  testWithLinks('cubic: the link map is READY with its link id, the legacy one INUSE; detach drops the link', async () => {
    const obj = await open('cubic', { cubic_legacy: 'so_isp_cubl', cubic_link: 'so_isp_cubk' });
    const legacy = obj.structOps.get('cubic_legacy')!;
    const linked = obj.structOps.get('cubic_link')!;
    links.push(await legacy.attach());
    const link = await linked.attach();
    links.push(link);

    expect(infoOf(legacy.id)).toMatchObject({ name: 'cubic_legacy', state: 'INUSE', refcnt: 1, linkIds: [] });
    expect(infoOf(linked.id)).toMatchObject({ name: 'cubic_link', kernelType: 'tcp_congestion_ops', state: 'READY', refcnt: 1, linkIds: [link.id] });
    const shownLink = bpftoolJson<Record<string, unknown>>('link', 'show', 'id', String(link.id));
    expect(shownLink).toMatchObject({ id: link.id, type: 'struct_ops' });
    // bpftool 7.1 leaves map_id out of `link show`; 7.8 prints it.
    expect(shownLink.map_id ?? link.info().structOpsMapId).toBe(linked.id);
    const shown = structOpsShow();
    for (const map of [legacy, linked]) {
      const info = infoOf(map.id)!;
      expect(shown.find((s) => s.id === map.id)).toEqual({ id: info.id, name: info.name, kernel_struct_ops: info.kernelType });
      expect(flatten(ourBpftoolDump(map.id))).toEqual(flatten(structOpsDump(map.id)));
    }
    // Both maps point at the same seven programs.
    const progsOf = (id: number): Record<string, unknown> => Object.fromEntries(dumpStructOps(id).members
      .filter((m): m is StructOpsProgramMember => m.kind === 'program' && m.program !== null).map((m) => [m.name, m.program]));
    expect(progsOf(linked.id)).toEqual(progsOf(legacy.id));
    expect(progsOf(linked.id).init).toEqual({ progId: obj.programs.get('cu_init')!.id, progName: 'cu_init' });
    expect(Object.keys(progsOf(linked.id))).toHaveLength(7);

    link.detach();
    expect(infoOf(linked.id)).toMatchObject({ state: 'READY', refcnt: 0, linkIds: [] });
    expect(flatten(ourBpftoolDump(linked.id))).toEqual(flatten(structOpsDump(linked.id)));
  });

  test('by name: exactly one match dumps, none is ENOENT, several are EINVAL naming the ids', async () => {
    const a = await open('warn_unused', { warn_unused: 'so_isp_wu1' });
    expect(dumpStructOps('warn_unused').info.id).toBe(a.structOps.get('warn_unused')!.id);
    const b = await open('warn_unused', { warn_unused: 'so_isp_wu2' });
    const ids = [a, b].map((o) => o.structOps.get('warn_unused')!.id);
    let err = (() => { try { dumpStructOps('warn_unused'); } catch (e) { return e; } })() as BpfError;
    expect(err).toBeInstanceOf(BpfError);
    expect(err.code).toBe('EINVAL');
    for (const id of ids) expect(err.message).toContain(String(id));
    expect(err.hint).toMatch(/by id/);
    expect(listStructOps().filter((s) => ids.includes(s.id)).map((s) => s.name)).toEqual(['warn_unused', 'warn_unused']);

    for (const target of ['so_isp_nosuch', 0x7ffffff0]) {
      err = (() => { try { dumpStructOps(target); } catch (e) { return e; } })() as BpfError;
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'ENOENT', message: expect.stringContaining('no struct_ops found for') });
      expect(err.hint).toMatch(/struct-ops show/);
    }
  });

  test('listing and dumping leave no file descriptor open', async () => {
    const obj = await open('reno', { reno: 'so_isp_fd' });
    links.push(await obj.structOps.get('reno')!.attach());
    const before = openFdCount();
    for (let i = 0; i < 5; i++) {
      listStructOps();
      dumpStructOps(obj.structOps.get('reno')!.id);
    }
    expect(openFdCount()).toBe(before);
  });
});

describeKernel('listStructOpsTypes: struct_ops types of the running kernel', () => {
  test('tcp_congestion_ops: members, offsets and sizes agree with bpftool btf dump; C signatures', () => {
    const [tcp, ...more] = listStructOpsTypes('tcp_congestion_ops');
    expect(more).toEqual([]);
    expect(tcp).toMatchObject({ name: 'tcp_congestion_ops', module: 'vmlinux', valueSize: 256, size: 192 });
    expect(listStructOpsTypes('bpf_struct_ops_tcp_congestion_ops')).toEqual([tcp]);

    // Independent witness: bpftool's raw dump of the same struct.
    const raw = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const lines = raw.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`[${tcp.typeId}] STRUCT 'tcp_congestion_ops' `));
    expect(at).toBeGreaterThanOrEqual(0);
    const vlen = Number(/vlen=(\d+)/.exec(lines[at])![1]);
    const members = lines.slice(at + 1, at + 1 + vlen).map((l) => {
      const m = /'(\w+)' type_id=\d+ bits_offset=(\d+)/.exec(l)!;
      return { name: m[1], offset: Number(m[2]) / 8 };
    });
    expect(tcp.members.map((m) => ({ name: m.name, offset: m.offset }))).toEqual(members);
    expect(lines.some((l) => l.startsWith(`[${tcp.valueTypeId}] STRUCT 'bpf_struct_ops_tcp_congestion_ops' size=256 `))).toBe(true);

    const byName = Object.fromEntries(tcp.members.map((m) => [m.name, m]));
    // Parameter names come from the kernel's cfi stubs (6.7+); older prototypes have none.
    const named = kernelAtLeast(6, 7);
    const kernelIndex = (name: string): number =>
      (loadKernelBtf().findByName('tcp_congestion_ops', 'struct') as { members: { name: string }[] }).members.findIndex((m) => m.name === name);
    expect(byName.ssthresh).toMatchObject({
      kind: 'function', size: 8, index: kernelIndex('ssthresh'), declaration: named ? 'u32 (*ssthresh)(struct sock *sk)' : 'u32 (*ssthresh)(struct sock *)',
    });
    expect(byName.cong_avoid.declaration).toBe(named ? 'void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked)' : 'void (*cong_avoid)(struct sock *, u32, u32)');
    expect(byName.name).toMatchObject({ kind: 'data', size: 16, declaration: 'char name[16]' });
    expect(byName.owner.declaration).toBe('struct module *owner');
    expect(byName.flags).toMatchObject({ kind: 'data', size: 4, declaration: 'u32 flags' });
    // 13 callbacks up to 6.18; 7.x added cwnd_event_tx_start.
    expect(tcp.members.filter((m) => m.kind === 'function')).toHaveLength(tcp.members.some((m) => m.name === 'cwnd_event_tx_start') ? 14 : 13);
  });

  test('the full list has only real value types (not bpf_struct_ops_map, _link, _value, ...)', () => {
    const all = listStructOpsTypes();
    const names = all.map((t) => t.name);
    expect(names).toContain('tcp_congestion_ops');
    for (const helper of ['map', 'link', 'value', 'common_value', 'desc', 'arg_info']) expect(names).not.toContain(helper);
    const vmlinux = loadKernelBtf();
    for (const t of all.filter((x) => x.module === 'vmlinux')) {
      expect(vmlinux.typeById(t.valueTypeId)).toMatchObject({ name: `bpf_struct_ops_${t.name}`, size: t.valueSize });
      expect(vmlinux.typeById(t.typeId)).toMatchObject({ name: t.name, size: t.size });
    }
    expect(listStructOpsTypes('so_isp_no_such_ops')).toEqual([]);
  });
});
