import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openPinnedLink } from '../../lib';
import { availableCongestionControls } from '../../lib/cli/demo';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { cli, pinScratch } from '../helpers/child-cli';
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

describeKernel('struct-ops unregister', () => {
  const { pinDir } = pinScratch('swap_', ours);


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

  test('a link-based map by name: its links are detached (and it says so); the pin stays, empty', () => {
    const dir = pinDir();
    const pin = join(dir, 'swap_a');
    const { mapId, linkId } = register([fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    const r = cli(['unregister', 'swap_a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Unregistered tcp_congestion_ops swap_a map id ${mapId}: detached link id ${linkId}\n`);
    expect(r.stderr).toMatch(/link-based, so its link was detached \(LINK_DETACH\); a pinned link stays pinned/);
    expect(availableCongestionControls()).not.toContain('so_swap');
    const left = openPinnedLink(pin);
    expect(left.info()).toMatchObject({ id: linkId, structOpsMapId: 0 });
    left.close();
    // Removing such an empty pin with --pin still works.
    expect(cli(['unregister', '--pin', pin])).toMatchObject({ code: 0, stdout: expect.stringMatching(/was already detached/) });
    expect(existsSync(pin)).toBe(false);
  });

  test('errors: no such map, not registered, usage, not root', () => {
    const none = cli(['unregister', 'nosuch_so_map']);
    expect(none).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/no struct_ops found for nosuch_so_map\nhint: /) });
    expect(cli(['unregister', '--id', '999999999']).stderr).toMatch(/no struct_ops found for id 999999999/);
    expect(cli(['unregister']).code).toBe(2);
    expect(cli(['unregister', 'swap_legacy', '--id', '3']).code).toBe(2);
    expect(cli(['unregister', '--id', 'x']).code).toBe(2);
    const unpriv = cli(['unregister', 'swap_legacy'], { unprivileged: true });
    expect(unpriv.code).toBe(1);
    expect(unpriv.stderr).toMatch(/EPERM[\s\S]*hint: needs root/);
  });
});
