import { join } from 'node:path';
import { openPinnedLink } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { cli, pinScratch } from '../helpers/child-cli';
import { eventually } from '../helpers/child';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { pushTraffic } from '../helpers/traffic';

const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('swap_'));

describeKernel('struct-ops update', () => {
  const { pinDir } = pinScratch('swap_', ours);
  /** Registers swap_a (link) pinned in a fresh directory; returns the pin and ids. */
  const registerPinned = (): { pin: string; mapId: number; linkId: number } => {
    const dir = pinDir();
    const r = cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
    expect(r.code).toBe(0);
    const m = /map id (\d+) link id (\d+)/.exec(r.stdout)!;
    return { pin: join(dir, 'swap_a'), mapId: Number(m[1]), linkId: Number(m[2]) };
  };
  const pinnedMapId = (pin: string): number => {
    const link = openPinnedLink(pin);
    try {
      return link.info().structOpsMapId ?? 0;
    } finally {
      link.close();
    }
  };


  test('swaps a pinned link to another object\'s map; the new map stays after the CLI exits', async () => {
    const { pin, mapId, linkId } = registerPinned();
    const r = cli(['update', '--pin', pin, fixture('swap_b'), '--map', 'swap_b']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = new RegExp(`^Updated link id ${linkId} \\(${pin}\\): tcp_congestion_ops map id ${mapId} -> swap_b map id (\\d+)\\n$`).exec(r.stdout);
    expect(m).not.toBeNull();
    const newId = Number(m![1]);
    expect(newId).not.toBe(mapId);
    expect(pinnedMapId(pin)).toBe(newId);
    expect(structOpsShow().map((s) => s.id)).toContain(newId);
    // Nothing holds the old map any more: it is freed.
    expect(await eventually(() => !structOpsShow().some((s) => s.id === mapId))).toBe(true);
    expect((await pushTraffic('so_swap', 4 * 1024 * 1024)).algorithm).toBe('so_swap');

    // The object's only link map is picked without --map.
    const json = cli(['update', '--pin', pin, fixture('swap_a'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      pin, link_id: linkId, kernel_struct_ops: 'tcp_congestion_ops', old_map_id: newId, new_map_id: expect.any(Number), map: 'swap_a',
    });
  });

  test('a different algorithm name is refused (EINVAL with hint) and the link is unchanged', () => {
    const { pin, mapId } = registerPinned();
    const r = cli(['update', '--pin', pin, fixture('swap_b'), '--map', 'swap_other']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cannot switch the link to this map \(so_swap_other\): BPF_LINK_UPDATE: Invalid argument \(EINVAL\)/);
    expect(r.stderr).toMatch(/hint: a live update keeps the algorithm/);
    expect(pinnedMapId(pin)).toBe(mapId);
    expect(availableCongestionControls()).not.toContain('so_swap_other');
  });

  test('errors: legacy, unknown or ambiguous map, missing pin, detached link, usage', () => {
    const { pin } = registerPinned();
    const legacy = cli(['update', '--pin', pin, fixture('swap_a'), '--map', 'swap_legacy']);
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toMatch(/swap_legacy is not link-based; a link can only switch to a SEC\("\.struct_ops\.link"\) map/);
    const unknown = cli(['update', '--pin', pin, fixture('swap_a'), '--map', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no struct_ops map named nosuch[\s\S]*available maps: swap_a \(\.struct_ops\.link\), swap_legacy \(\.struct_ops\)/);
    const ambiguous = cli(['update', '--pin', pin, fixture('swap_b')]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/has several link-based maps; pick one with --map NAME\nhint: available maps: swap_b \(\.struct_ops\.link\), swap_other \(\.struct_ops\.link\)/);
    const noLink = cli(['update', '--pin', pin, fixture('reno')]);
    expect(noLink.code).toBe(1);
    expect(noLink.stderr).toMatch(/reno\.bpf\.o has no link-based struct_ops map; a link can only switch/);

    const missing = cli(['update', '--pin', join(pin, '..', 'nope'), fixture('swap_b'), '--map', 'swap_b']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing is pinned at .*nope/);
    expect(cli(['update', fixture('swap_b')]).code).toBe(2);
    expect(cli(['update', '--pin', pin]).code).toBe(2);
    const twoMaps = cli(['update', '--pin', pin, fixture('swap_b'), '--map', 'swap_b', '--map', 'swap_other']);
    expect(twoMaps.code).toBe(2);
    expect(twoMaps.stderr).toMatch(/^struct-ops update: --map given more than once/);

    const pinned = openPinnedLink(pin); // detached through the library: the pin stays
    pinned.detach();
    pinned.close();
    const detached = cli(['update', '--pin', pin, fixture('swap_b'), '--map', 'swap_b']);
    expect(detached.code).toBe(1);
    expect(detached.stderr).toMatch(/is detached: there is nothing to update/);
  });
});

describe('struct-ops update --help', () => {
  test('promises new callbacks to connections that select the algorithm, not to running ones', () => {
    const r = cli(['update', '--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/every connection that selects it from then on gets the new callbacks/);
    expect(text).toMatch(/Connections already running keep the callbacks they started with/);
    expect(text).not.toMatch(/(running|existing|established|open|live) connections (move|switch|are moved|are switched|get the new|pick up)/i);
  });
});
