import { readFileSync } from 'node:fs';
import { BpfError } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { describeKernel } from '../helpers/kernel';
import { structOpsDump, structOpsShow } from '../helpers/bpftool';
import { pushTraffic } from '../helpers/traffic';
import { unregisterLeftovers } from '../helpers/cleanup';
import { trackObjects } from '../helpers/objects';

const MiB = 1024 * 1024;
const TCP_CONG_NON_RESTRICTED = 0x1;

function allowedCongestionControls(): string[] {
  return readFileSync('/proc/sys/net/ipv4/tcp_allowed_congestion_control', 'utf8').trim().split(/\s+/);
}

/** The `data` part of bpftool's dump of a tcp_congestion_ops map. */
function dumpedOps(id: number): Record<string, unknown> {
  const entry = structOpsDump(id).find((d) => 'bpf_struct_ops_tcp_congestion_ops' in d)!;
  return (entry.bpf_struct_ops_tcp_congestion_ops as { data: Record<string, unknown> }).data;
}

describeKernel('shadow values: edits before load reach the kernel', () => {
  const tracked = trackObjects();
  const { links } = tracked;
  const open = tracked.open;
  afterAll(() => {
    expect(unregisterLeftovers(['reno', 'shadow'])).toEqual([]);
    expect(structOpsShow().filter((s) => ['reno', 'shadow'].includes(s.name))).toEqual([]);
  });

  test('a renamed copy registers next to the original: two algorithms from one object file', async () => {
    const first = await open('reno');
    const second = await open('reno');
    second.structOps.get('reno')!.value.name = 'so_reno2';
    await first.load();
    await second.load();
    links.push(await first.structOps.get('reno')!.attach());
    links.push(await second.structOps.get('reno')!.attach());

    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['so_reno', 'so_reno2']));
    const ids = [first, second].map((o) => o.structOps.get('reno')!.id);
    expect(structOpsShow().filter((s) => ids.includes(s.id)).map((s) => s.name)).toEqual(['reno', 'reno']);
    expect(dumpedOps(ids[0]).name).toBe('so_reno');
    expect(dumpedOps(ids[1]).name).toBe('so_reno2');

    for (const [obj, algorithm] of [[first, 'so_reno'], [second, 'so_reno2']] as const) {
      const before = obj.readGlobals('.bss').cong_avoid_calls as bigint;
      const r = await pushTraffic(algorithm, 8 * MiB);
      expect(r.algorithm).toBe(algorithm);
      expect(r.bytes).toBeGreaterThanOrEqual(8 * MiB);
      expect(obj.readGlobals('.bss').cong_avoid_calls).toBeGreaterThan(before);
    }

    for (const l of links.splice(0)) l.close();
    expect(availableCongestionControls()).not.toEqual(expect.arrayContaining(['so_reno2']));
    expect(availableCongestionControls()).not.toContain('so_reno');
  });

  test('edited name and flags and a swapped program are what the kernel registers', async () => {
    const obj = await open('shadow');
    const map = obj.structOps.get('shadow')!;
    const main = obj.programs.get('sh_cong_avoid')!;
    const alt = obj.programs.get('sh_cong_avoid_alt')!;
    map.value.name = 'so_shadow_ed';
    map.value.flags = TCP_CONG_NON_RESTRICTED;
    map.value.cong_avoid = alt;
    await obj.load();
    expect(obj.warnings).toEqual([]);
    expect(alt.loaded).toBe(true);
    expect(main.loaded).toBe(false);

    // Our kernel value: the name and flags bytes, and the alternative program's fd in the slot.
    const plan = map.plan!;
    const kernelOps = plan.kernel.btf;
    const offsetOf = (member: string): number =>
      plan.kernel.dataOffset + kernelOps.memberByName(plan.kernel.typeId, member)!.member.bitOffset / 8;
    const kv = map.kernelValue;
    expect(kv.subarray(offsetOf('name'), offsetOf('name') + 16)).toEqual(Buffer.from('so_shadow_ed\0\0\0\0'));
    expect(kv.readUInt32LE(offsetOf('flags'))).toBe(TCP_CONG_NON_RESTRICTED);
    expect(kv.readBigUInt64LE(offsetOf('cong_avoid'))).toBe(BigInt(alt.fd.raw));
    expect(plan.slots.find((s) => s.member === 'cong_avoid')!.program).toBe('sh_cong_avoid_alt');

    links.push(await map.attach());
    expect(availableCongestionControls()).toContain('so_shadow_ed');
    // TCP_CONG_NON_RESTRICTED: unprivileged sockets may pick it.
    expect(allowedCongestionControls()).toContain('so_shadow_ed');

    const data = dumpedOps(map.id);
    expect(data.name).toBe('so_shadow_ed');
    expect(data.flags).toBe(TCP_CONG_NON_RESTRICTED);
    expect(String(data.cong_avoid)).toMatch(new RegExp(`/prog_id:${alt.id}$`));
    expect(String(data.cong_avoid)).toContain(alt.name.slice(0, 15));
    expect(String(data.ssthresh)).toMatch(new RegExp(`/prog_id:${obj.programs.get('sh_ssthresh')!.id}$`));
    // The kernel's view through our API (LOOKUP_ELEM: program ids in the slots).
    const looked = map.lookup(0)!;
    expect(looked.readBigUInt64LE(offsetOf('cong_avoid'))).toBe(BigInt(alt.id));
    expect(looked.readUInt32LE(offsetOf('flags'))).toBe(TCP_CONG_NON_RESTRICTED);

    const r = await pushTraffic('so_shadow_ed', 8 * MiB);
    expect(r.algorithm).toBe('so_shadow_ed');
    const bss = obj.readGlobals('.bss');
    expect(bss.alt_cong_avoid_calls).toBeGreaterThan(0n);
    expect(bss.cong_avoid_calls).toBe(0n);
  });

  test('edits after load() are rejected and change nothing', async () => {
    const obj = await open('shadow');
    const map = obj.structOps.get('shadow')!;
    await obj.load();
    const before = Buffer.from(map.localData);
    for (const edit of [
      () => { map.value.name = 'so_late'; },
      () => { map.value.flags = 1; },
      () => { map.value.cong_avoid = obj.programs.get('sh_cong_avoid_alt')!; },
      () => { map.value.cong_avoid = null; },
    ]) {
      let err: unknown;
      try {
        edit();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpfError);
      expect(err).toMatchObject({ code: 'EBUSY', map: 'shadow' });
      expect((err as BpfError).message).toMatch(/cannot change: load\(\) has started/);
      expect((err as BpfError).hint).toMatch(/before load\(\)/);
    }
    expect(map.localData).toEqual(before);
    expect(map.value.name).toBe('so_shadow');
    expect(map.value.cong_avoid).toBe(obj.programs.get('sh_cong_avoid'));
    expect(Object.getOwnPropertyDescriptor(map.value, 'flags')).toMatchObject({ writable: false });
    // Unused by any map, the alternative program was left out (with a warning).
    expect(obj.programs.get('sh_cong_avoid_alt')!.loaded).toBe(false);
    expect(obj.warnings).toEqual([expect.stringContaining('sh_cong_avoid_alt')]);
  });
});
