import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { BpfError, openObject } from '../../lib';
import { mapUpdateElem } from '../../lib/sys';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';
import { mapShow, progShow, structOpsDump, structOpsShow } from '../helpers/bpftool';
import { pushTraffic } from '../helpers/traffic';
import { unregisterLeftovers } from '../helpers/cleanup';
import { availableCongestionControls } from '../../lib/demo';
import { lossyTraffic } from '../helpers/netns';
import { hasStructOpsLinks, skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';
import { trackObjects } from '../helpers/objects';

const MiB = 1024 * 1024;

/** CONFIG_HZ as the kernel's config says, read here with node:zlib, not the library's lookup. */
function configHz(): number {
  const text = existsSync('/proc/config.gz') ? gunzipSync(readFileSync('/proc/config.gz')).toString('latin1')
    : readFileSync(`/boot/config-${release()}`, 'latin1');
  return Number(/^CONFIG_HZ=(\d+)$/m.exec(text)?.[1]);
}

describeKernel('loading and registering TCP congestion controllers', () => {
  const tracked = trackObjects();
  const { links } = tracked;
  const open = tracked.open;
  afterAll(() => {
    expect(unregisterLeftovers(['reno', 'cubic_', 'warn_unused', 'ok_missing', 'bad_'])).toEqual([]);
  });

  test('reno (kfuncs, .bss counters) registers, carries 16 MiB, and bpftool sees the same ids', async () => {
    const obj = await open('reno');
    await obj.load();
    expect(obj.warnings).toEqual([]);
    const map = obj.structOps.get('reno')!;
    expect(map.kernelTypeName).toBe('tcp_congestion_ops');
    const link = await map.attach();
    links.push(link);

    const shown = structOpsShow().find((s) => s.id === map.id);
    expect(shown).toEqual({ id: map.id, name: 'reno', kernel_struct_ops: 'tcp_congestion_ops' });

    const result = await pushTraffic('so_reno', 16 * MiB);
    expect(result.algorithm).toBe('so_reno');
    expect(result.bytes).toBeGreaterThanOrEqual(16 * MiB);
    const bss = obj.readGlobals('.bss');
    expect(bss.cong_avoid_calls).toBeGreaterThan(0n);

    // bpftool's dump shows our program ids in the function-pointer slots.
    const dump = structOpsDump(map.id);
    const value = dump.find((d) => 'bpf_struct_ops_tcp_congestion_ops' in d)!
      .bpf_struct_ops_tcp_congestion_ops as { data: Record<string, unknown>; common?: { state: string }; state?: string };
    // Before 6.6? the value struct has refcnt/state itself, not a `common` member.
    expect(value.common?.state ?? value.state).toBe('BPF_STRUCT_OPS_STATE_INUSE');
    const text = JSON.stringify(value.data);
    for (const name of ['reno_ssthresh', 'reno_cong_avoid', 'reno_undo_cwnd']) {
      const prog = obj.programs.get(name)!;
      expect(progShow(prog.id).name).toBe(name);
      expect(text).toContain(`prog_id:${prog.id}`);
    }
    expect(mapShow(obj.maps.get('.bss')!.id).name).toBe('reno.bss');

    expect(availableCongestionControls()).toContain('so_reno');
    link.close();
    // The map still exists (we hold its fd) but is no longer registered.
    expect(availableCongestionControls()).not.toContain('so_reno');
    const after = structOpsDump(map.id).find((d) => 'bpf_struct_ops_tcp_congestion_ops' in d)!;
    expect(JSON.stringify(after)).not.toContain('BPF_STRUCT_OPS_STATE_INUSE');
  });

  testWithLinks('cubic: subprograms, callback, .rodata/.data/.bss/.kconfig, BTF maps, CO-RE, legacy and link maps', async () => {
    const obj = await open('cubic');
    await obj.load();
    expect(obj.warnings).toEqual([]);
    // /proc/config.gz or /boot/config-$(uname -r) (distribution kernels in the VM matrix).
    const hz = configHz();
    expect(hz).toBeGreaterThan(0);

    expect(obj.readGlobals('.rodata')).toMatchObject({ beta: 717, cube_scale: 40, root_iterations: 32 });
    expect(obj.readGlobals('.data')).toEqual({ min_cnt: 2, config_generation: 1, epoch_resets: 100n });
    // .rodata is frozen: user space can no longer write it.
    expect(() => mapUpdateElem(obj.maps.get('.rodata')!.fd, Buffer.alloc(4), Buffer.alloc(24))).toThrow(BpfError);
    for (const [section, kernelName] of [['.rodata', 'cubic.rodata'], ['.data', 'cubic.data'], ['.bss', 'cubic.bss'], ['.kconfig', 'cubic.kconfig']]) {
      expect(mapShow(obj.maps.get(section)!.id).name).toBe(kernelName);
    }
    expect(mapShow(obj.maps.get('cu_sk_state')!.id).type).toBe('sk_storage');

    const legacy = await obj.structOps.get('cubic_legacy')!.attach();
    links.push(legacy);
    const linked = await obj.structOps.get('cubic_link')!.attach();
    links.push(linked);
    expect(linked.isLink).toBe(true);
    expect(linked.info().structOpsMapId).toBe(obj.structOps.get('cubic_link')!.id);

    for (const algorithm of ['so_cubic', 'so_cubic_lnk']) {
      const before = obj.readGlobals('.bss');
      const r = await pushTraffic(algorithm, 16 * MiB);
      expect(r.algorithm).toBe(algorithm);
      const after = obj.readGlobals('.bss');
      expect(after.init_calls).toBeGreaterThan(before.init_calls as bigint);
      expect(after.cong_avoid_calls).toBeGreaterThan(before.cong_avoid_calls as bigint);
    }
    const bss = obj.readGlobals('.bss');
    expect(bss.hz_seen).toBe(hz);
    expect(bss.sample_idx).toBeGreaterThan(0);

    // With losses (a small tbf queue in a private netns) the CUBIC epoch logic runs: the
    // static subprograms cubic_target -> cube_root and the bpf_loop callback.
    const lossy = await lossyTraffic('so_cubic', 16 * MiB);
    expect(lossy.bytes).toBeGreaterThanOrEqual(16 * MiB);
    const afterLoss = obj.readGlobals('.bss');
    expect(afterLoss.ssthresh_calls).toBeGreaterThan(bss.ssthresh_calls as bigint);
    expect(afterLoss.last_root).toBeGreaterThan(0);
    expect(obj.readGlobals('.data').epoch_resets).toBeGreaterThan(100n);

    const names = structOpsShow().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['cubic_legacy', 'cubic_link']));
  });

  test('.rodata tunables set before load reach the kernel and the program', async () => {
    const obj = await open('cubic');
    skipLinkMapsIfUnsupported(obj);
    obj.setGlobals('.rodata', { initial_ssthresh: 7, beta: 600 });
    await obj.load();
    expect(obj.readGlobals('.rodata')).toMatchObject({ initial_ssthresh: 7, beta: 600 });
    expect(() => obj.setGlobals('.rodata', { beta: 1 })).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    links.push(await obj.structOps.get('cubic_legacy')!.attach());
    await pushTraffic('so_cubic', 4 * MiB);
    // cu_init writes tp->snd_ssthresh = initial_ssthresh through CO-RE when it is non-zero.
    expect(obj.readGlobals('.bss').init_calls).toBeGreaterThan(0n);
  });

  test('an unused struct_ops program is skipped with a warning, not a failure', async () => {
    const obj = await open('warn_unused');
    await obj.load();
    expect(obj.warnings).toEqual([expect.stringContaining('wu_unused_cb')]);
    expect(obj.programs.get('wu_unused_cb')!.loaded).toBe(false);
    expect(obj.programs.get('wu_ssthresh')!.loaded).toBe(true);
    links.push(await obj.structOps.get('warn_unused')!.attach());
  });

  test('a zero member the kernel lacks is skipped with a warning naming it', async () => {
    const obj = await open('ok_missing_member_zero');
    await obj.load();
    expect(obj.warnings).toEqual([expect.stringContaining('so_bogus')]);
    links.push(await obj.structOps.get('ok_missing')!.attach());
  });

  test.each([
    ['bad_unknown_struct', { code: 'ENOENT', map: 'bad_unknown' }, /so_nonexistent_ops is not found/],
    ['bad_missing_member', { code: 'EOPNOTSUPP', map: 'bad_missing', member: 'so_bogus' }, /so_bogus/],
    ['bad_size_mismatch', { code: 'EINVAL', map: 'bad_size', member: 'flags' }, /size mismatch/],
    ['bad_verifier', { code: 'EACCES', program: 'bv_ssthresh', command: 'BPF_PROG_LOAD' }, /bv_ssthresh/],
    ['bad_core', { code: 'EINVAL', program: 'bc_ssthresh', command: 'BPF_PROG_LOAD' }, /bc_ssthresh/],
  ])('%s fails with a BpfError that names the cause, and releases every fd', async (name, fields, message) => {
    // Let short-lived descriptors of earlier work (the paged kernel BTF reader) close first.
    await new Promise((r) => setImmediate(r));
    const baseline = openFdCount();
    const obj = await open(name);
    const err = await obj.load().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject(fields);
    expect((err as Error).message).toMatch(message);
    if (name === 'bad_verifier') {
      expect((err as BpfError).verifierLog).toMatch(/access beyond struct tcp_sock/);
      expect((err as BpfError).hint).toBeDefined();
    }
    if (name === 'bad_core') {
      // The poisoned instruction is libbpf's marker call; the hint names the relocation.
      expect((err as BpfError).verifierLog).toMatch(/unknown#195896080/);
      expect((err as BpfError).hint).toMatch(/CO-RE relocation.*so_no_such_field/);
    }
    await new Promise((r) => setImmediate(r));
    expect(openFdCount()).toBe(baseline);
  });

  test('open/load/attach/close cycles return /proc/self/fd to its baseline', async () => {
    const baseline = openFdCount();
    for (let i = 0; i < 5; i++) {
      const obj = await openObject(fixture('cubic'));
      skipLinkMapsIfUnsupported(obj);
      await obj.load();
      const a = hasStructOpsLinks() ? await obj.structOps.get('cubic_link')!.attach() : undefined;
      const b = await obj.structOps.get('cubic_legacy')!.attach();
      a?.close();
      b.close();
      obj.close();
    }
    expect(openFdCount()).toBe(baseline);
    expect(structOpsShow().filter((s) => s.name.startsWith('cubic_'))).toEqual([]);
  });
});
