import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openObject, openPinnedLink } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { cli, pinScratch } from '../helpers/child-cli';
import { unregisterLeftovers } from '../helpers/cleanup';
import { eventually } from '../helpers/child';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('swap_'));
const linkIds = (): number[] => (bpftoolJson<{ id: number }[]>('link', 'show') ?? []).map((l) => l.id);

/** Registers with the CLI and returns the ids it printed. */
function register(args: string[]): { mapId: number; linkId?: number } {
  const r = cli(['register', ...args]);
  expect(r.code).toBe(0);
  const m = /id (\d+)(?: link id (\d+))?/.exec(r.stdout)!;
  return { mapId: Number(m[1]), linkId: m[2] === undefined ? undefined : Number(m[2]) };
}

/** A second map named swap_a (algorithm so9_swap_b), registered by this process through a pinned link. */
async function registerRenamed(dir: string): Promise<number> {
  const obj = await openObject(fixture('swap_a'));
  try {
    const map = obj.structOps.get('swap_a')!;
    map.value.name = 'so9_swap_b';
    await obj.load();
    const link = await map.attach();
    link.pin(join(dir, 'swap_a'));
    link.close();
    return map.id;
  } finally {
    obj.close();
  }
}

describeKernel('struct-ops unregister', () => {
  const scratch = pinScratch('swap_', ours);
  const { pinDir } = scratch;


  test('a legacy map by name, then by id', async () => {
    const { mapId } = register([fixture('swap_a'), '--map', 'swap_legacy']);
    const r = cli(['unregister', 'swap_legacy']);
    expect(r).toEqual({ code: 0, stdout: `Unregistered tcp_congestion_ops swap_legacy id ${mapId}\n`, stderr: '' });
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
    expect(await eventually(() => ours().length === 0)).toBe(true);

    const second = register([fixture('swap_a'), '--map', 'swap_legacy']);
    const byId = cli(['unregister', '--id', String(second.mapId)]);
    expect(byId).toEqual({ code: 0, stdout: `Unregistered tcp_congestion_ops swap_legacy id ${second.mapId}\n`, stderr: '' });
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  test('--pin: detaches the pinned link and removes the pin', async () => {
    const dir = pinDir();
    const pin = join(dir, 'swap_a');
    const { mapId, linkId } = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    expect(availableCongestionControls()).toContain('so_swap');
    const r = cli(['unregister', '--pin', pin]);
    expect(r).toEqual({
      code: 0, stderr: '',
      stdout: `Unregistered tcp_congestion_ops swap_a map id ${mapId} link id ${linkId} (detached, unpinned ${pin})\n`,
    });
    expect(existsSync(pin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('so_swap');
    expect(await eventually(() => !linkIds().includes(linkId!))).toBe(true);
    expect(await eventually(() => !structOpsShow().some((s) => s.id === mapId))).toBe(true);

    const again = cli(['unregister', '--pin', pin]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing is pinned at/);
  });

  test('a pinned link by name: detached and its pin removed (found on bpffs); --json', async () => {
    const dir = pinDir();
    const pin = join(dir, 'swap_a');
    const { mapId, linkId } = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    const r = cli(['unregister', 'swap_a']);
    expect(r).toEqual({ code: 0, stderr: '',
      stdout: `Unregistered tcp_congestion_ops swap_a map id ${mapId}: detached link id ${linkId} (unpinned ${pin})\n` });
    expect(existsSync(pin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('so_swap');
    expect(await eventually(() => !linkIds().includes(linkId!))).toBe(true);

    const again = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    const json = cli(['unregister', 'swap_a', '-j']);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual([{ map: 'swap_a', kernel_struct_ops: 'tcp_congestion_ops', map_id: again.mapId,
      link_ids: [again.linkId], unpinned: [pin] }]);
    expect(existsSync(pin)).toBe(false);
  });

  test('a pinned link detached elsewhere: --pin removes the empty pin', () => {
    const dir = pinDir();
    const pin = join(dir, 'swap_a');
    const { linkId } = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    const link = openPinnedLink(pin);
    link.detach();
    expect(link.info()).toMatchObject({ id: linkId, structOpsMapId: 0 });
    link.close();
    expect(cli(['unregister', '--pin', pin])).toMatchObject({ code: 0, stdout: expect.stringMatching(/was already detached/) });
    expect(existsSync(pin)).toBe(false);
  });

  test('a legacy map registered with --pin-dir: unregister NAME removes its pin too', () => {
    const dir = pinDir();
    const pin = join(dir, 'swap_legacy');
    const { mapId } = register([fixture('swap_a'), '--map', 'swap_legacy', '--pin-dir', dir]);
    expect(existsSync(pin)).toBe(true);
    expect(cli(['unregister', 'swap_legacy'])).toEqual({ code: 0, stderr: '',
      stdout: `Unregistered tcp_congestion_ops swap_legacy id ${mapId} (unpinned ${pin})\n` });
    expect(existsSync(pin)).toBe(false);
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  test('an ambiguous NAME is refused (nothing unregistered) unless --all', async () => {
    const a = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', pinDir()]);
    // swap_c registers the same map name swap_a under another algorithm name.
    const objDir = pinDir();
    const b = await registerRenamed(objDir);
    const r = cli(['unregister', 'swap_a']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^struct-ops unregister: 2 struct_ops maps are named swap_a \\(map ids (${a.mapId}, ${b}|${b}, ${a.mapId})\\): refusing to guess`));
    expect(r.stderr).toMatch(/hint: pick one with --id ID .* or add --all/);
    expect(ours().filter((s) => s.name === 'swap_a')).toHaveLength(2);
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['so_swap', 'so9_swap_b']));
    const all = cli(['unregister', 'swap_a', '--all']);
    expect(all.code).toBe(0);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(availableCongestionControls()).not.toContain('so_swap');
    expect(availableCongestionControls()).not.toContain('so9_swap_b');
    expect(cli(['unregister', '--id', '5', '--all']).code).toBe(2);
  });

  test('a pin left behind after the registration ended is a warning, exit 0 (the change is in place)', () => {
    // s12_owner.bpf.o renamed unr_*, pinned on a bpffs of this test's own, then made
    // read-only: unregistering works, unlink() of the pin fails with EROFS.
    const dir = scratch.tmpDir();
    const obj = join(dir, 'unr.bpf.o');
    const b = readFileSync(fixture('s12_owner'));
    for (let i = b.indexOf('s12_'); i >= 0; i = b.indexOf('s12_', i + 1)) b.write('unr_', i, 'latin1');
    writeFileSync(obj, b);
    const fs = join(dir, 'bpffs');
    mkdirSync(fs);
    execFileSync('mount', ['-t', 'bpf', 'bpf', fs]);
    try {
      const { mapId } = register([obj, '--map', 'unr_legacy', '--pin-dir', fs]);
      const pin = join(fs, 'unr_legacy');
      execFileSync('mount', ['-o', 'remount,bind,ro', fs]);
      const r = cli(['unregister', 'unr_legacy']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Unregistered tcp_congestion_ops unr_legacy id ${mapId}\n`);
      expect(r.stderr).toMatch(new RegExp(`^warning: the pin ${pin} remains \\(.*EROFS.*\\) \\(remove it with rm ${pin}\\)\n$`));
      expect(availableCongestionControls()).not.toContain('unr_own_legacy');
    } finally {
      execFileSync('umount', [fs]);
      unregisterLeftovers(['unr_']);
    }
  });

  test('errors: no such map, not registered, usage, not root', () => {
    const none = cli(['unregister', 'nosuch_so_map']);
    expect(none).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/no struct_ops found for nosuch_so_map\nhint: /) });
    expect(cli(['unregister', '--id', '999999999']).stderr).toMatch(/no struct_ops found for id 999999999/);
    expect(cli(['unregister']).code).toBe(2);
    expect(cli(['unregister', 'swap_legacy', '--id', '3']).code).toBe(2);
    for (const id of ['x', '0x47d9', '1e3', ' 5', '5.0', '05', '0', '4294967296']) {
      const bad = cli(['unregister', '--id', id]);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toMatch(/^struct-ops unregister: --id must be a decimal integer from 1 to 4294967295/);
    }
    const unpriv = cli(['unregister', 'swap_legacy'], { unprivileged: true });
    expect(unpriv.code).toBe(1);
    expect(unpriv.stderr).toMatch(/EPERM[\s\S]*hint: needs root/);
  });
});
