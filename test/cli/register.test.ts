import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isBpffs, openPinnedLink } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { cli, pinScratch } from '../helpers/child-cli';
import { eventually } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

// The swap_* fixtures are used by these tests only, so their names never collide.
const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('swap_'));
const linkIds = (): number[] => (bpftoolJson<{ id: number }[]>('link', 'show') ?? []).map((l) => l.id);

describeKernel('struct-ops register', () => {
  const { pinDir, tmpDir: tmp } = pinScratch('swap_', ours);


  test('a legacy map: registered with persist, still there after the CLI exits', () => {
    const r = cli(['register', fixture('swap_a'), '--map', 'swap_legacy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /^Registered tcp_congestion_ops swap_legacy id (\d+)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(structOpsShow()).toContainEqual({ id: Number(m![1]), name: 'swap_legacy', kernel_struct_ops: 'tcp_congestion_ops' });
    expect(availableCongestionControls()).toContain('so_swap_legacy');
  });

  test('a link-based map without --pin-dir is refused (it would vanish when the CLI exits)', () => {
    const r = cli(['register', fixture('swap_a')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/swap_a \(\.struct_ops\.link\) is link-based: the registration would end when this command exits/);
    expect(r.stderr).toMatch(/nothing was registered/);
    expect(r.stderr).toMatch(/hint: add --pin-dir DIR .*--map swap_legacy.*SEC\("\.struct_ops"\)/);
    expect(ours()).toEqual([]);
    expect(availableCongestionControls()).not.toContain('so_swap');
    expect(availableCongestionControls()).not.toContain('so_swap_legacy');
  });

  test('--pin-dir: links are pinned at DIR/<map name> and outlive the CLI; --json', async () => {
    const dir = pinDir();
    const r = cli(['register', fixture('swap_a'), '--pin-dir', dir]);
    // When /sys/fs/bpf is not bpffs yet (no systemd), the CLI mounts it and says so.
    expect(r.stderr).toMatch(/^(note: mounted a BPF filesystem at \/sys\/fs\/bpf\n)?$/);
    expect(isBpffs(dir)).toBe(true);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').sort();
    expect(lines).toHaveLength(2);
    // The legacy map is pinned too, so `unregister --pin` can end it like a link.
    expect(lines[1]).toBe(`Registered tcp_congestion_ops swap_legacy id ${/swap_legacy id (\d+)/.exec(lines[1])![1]} pinned at ${join(dir, 'swap_legacy')}`);
    expect(existsSync(join(dir, 'swap_legacy'))).toBe(true);
    const m = /^Registered tcp_congestion_ops swap_a map id (\d+) link id (\d+) pinned at (.*)$/.exec(lines[0])!;
    expect(m).not.toBeNull();
    expect(m[3]).toBe(join(dir, 'swap_a'));
    const [mapId, linkId] = [Number(m[1]), Number(m[2])];
    expect(structOpsShow()).toContainEqual({ id: mapId, name: 'swap_a', kernel_struct_ops: 'tcp_congestion_ops' });
    expect(linkIds()).toContain(linkId);
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['so_swap', 'so_swap_legacy']));
    const pinned = openPinnedLink(m[3]);
    expect(pinned.info()).toMatchObject({ id: linkId, structOpsMapId: mapId });
    pinned.close();

    // The same again is refused before anything is registered: the pin path is taken.
    const again = cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir, '--json']);
    expect(again.code).toBe(1);
    // Under --json the error is bpftool's {"error": ...} on stdout, nothing else there.
    expect(JSON.parse(again.stdout)).toEqual({ error: expect.stringMatching(/already exists/) });
    expect(again.stderr).toMatch(/^hint: unregister the old registration/);

    // Dropping the pin ends the registration (the kernel frees the link from a workqueue).
    rmSync(dir, { recursive: true });
    expect(await eventually(() => !availableCongestionControls().includes('so_swap'))).toBe(true);
    unregisterLeftovers(['swap_']);
    const json = cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{
      map: 'swap_a', kernel_struct_ops: 'tcp_congestion_ops', algorithm: 'so_swap',
      map_id: expect.any(Number), link_id: expect.any(Number), pinned: join(dir, 'swap_a'),
    }]);
  });

  test('--map picks maps (repeatable); an unknown name exits 1 listing the available maps', () => {
    const bad = cli(['register', fixture('swap_a'), '--map', 'nosuch', '--map', 'swap_legacy']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`struct-ops register: no struct_ops map named nosuch in ${fixture('swap_a')}\n` +
      'hint: available maps: swap_a (.struct_ops.link), swap_legacy (.struct_ops)\n');
    expect(ours()).toEqual([]);

    const two = cli(['register', fixture('swap_b'), '--map', 'swap_b', '--map', 'swap_other', '--pin-dir', pinDir()]);
    expect(two.code).toBe(0);
    expect(two.stdout).toMatch(/^Registered tcp_congestion_ops swap_b map id \d+ link id \d+ pinned at .*\/swap_b\nRegistered tcp_congestion_ops swap_other map id \d+ link id \d+ pinned at .*\/swap_other\n$/);
    expect(ours().map((s) => s.name).sort()).toEqual(['swap_b', 'swap_other']);
  });

  test('an optional map (SEC("?.struct_ops.link")) is registered when --map names it, and only then', () => {
    const s16 = (): string[] => structOpsShow().filter((m) => m.name.startsWith('s16_')).map((m) => m.name);
    const dir = pinDir();
    const none = cli(['register', fixture('s16_run_optional'), '--pin-dir', dir]);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 1, stdout: '' });
    expect(none.stderr).toMatch(/^struct-ops register: every struct_ops map of .*s16_run_optional\.bpf\.o is optional \(SEC\("\?\.struct_ops\.\.\."\)\); name the ones to use with --map\nhint: available maps: s16_optional \(\?\.struct_ops\.link\)\n$/);
    expect(s16()).toEqual([]);
    const named = cli(['register', fixture('s16_run_optional'), '--map', 's16_optional', '--pin-dir', dir]);
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/^Registered tcp_congestion_ops s16_optional map id \d+ link id \d+ pinned at .*\/s16_optional\n$/);
    expect(named.stderr).toBe('');
    expect(s16()).toEqual(['s16_optional']);
    expect(cli(['unregister', '--pin', join(dir, 's16_optional')]).code).toBe(0);
    expect(s16()).toEqual([]);
  });

  test('name taken: EEXIST with a hint, exit 1', () => {
    expect(cli(['register', fixture('swap_a'), '--map', 'swap_legacy']).code).toBe(0);
    const r = cli(['register', fixture('swap_a'), '--map', 'swap_legacy']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/struct_ops swap_legacy: name taken: a tcp_congestion_ops named so_swap_legacy is already registered .*EEXIST/);
    expect(r.stderr).toMatch(/hint: unregister the other one first/);
    expect(ours()).toHaveLength(1);
  });

  test('bad input: missing file, not an ELF, no struct_ops, usage', () => {
    const missing = cli(['register', '/nonexistent/x.bpf.o']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/cannot read object file: ENOENT/) });
    const text = join(tmp(), 'text.o');
    writeFileSync(text, 'hello\n');
    expect(cli(['register', text])).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/not an ELF file/) });
    const none = cli(['register', join(__dirname, '..', 'fixtures', 'core', 'core_local.bpf.o')]);
    expect(none).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/no struct_ops found in .*core_local\.bpf\.o/) });
    expect(cli(['register']).code).toBe(2);
    expect(cli(['register', 'a.o', 'b.o']).code).toBe(2);
  });

  test('not root: EPERM with a hint', () => {
    const copy = join(tmp(), 'swap_a.bpf.o');
    copyFileSync(fixture('swap_a'), copy);
    chmodSync(copy, 0o644);
    chmodSync(join(copy, '..'), 0o755);
    const r = cli(['register', copy, '--map', 'swap_legacy'], { unprivileged: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Operation not permitted \(EPERM\)/);
    expect(r.stderr).toMatch(/hint: needs root or CAP_BPF/);
    expect(ours()).toEqual([]);
  });

  test('a --pin-dir that is not on bpffs and cannot be made one: exit 1, nothing registered', () => {
    const full = tmp();
    writeFileSync(join(full, 'keep'), 'x');
    const r = cli(['register', fixture('swap_a'), '--pin-dir', full]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/is not on a BPF filesystem and is not empty/);
    expect(r.stderr).toMatch(/hint: use a path under \/sys\/fs\/bpf, or mount a BPF filesystem first/);
    expect(readFileSync(join(full, 'keep'), 'utf8')).toBe('x');
    const proc = cli(['register', fixture('swap_a'), '--pin-dir', '/proc/struct-ops-test']);
    expect(proc.code).toBe(1);
    expect(proc.stderr).toMatch(/cannot use \/proc\/struct-ops-test for pins/);
    expect(ours()).toEqual([]);
    expect(existsSync('/proc/struct-ops-test')).toBe(false);
  });

  test('a --pin-dir on no bpffs (an empty directory elsewhere): bpffs is mounted there, as bpftool does', async () => {
    const dir = join(tmp(), 'pins');
    try {
      const r = cli(['register', fixture('swap_a'), '--map', 'swap_a', '--pin-dir', dir]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`note: mounted a BPF filesystem at ${dir}\n`);
      expect(r.stdout).toMatch(new RegExp(`^Registered tcp_congestion_ops swap_a map id \\d+ link id \\d+ pinned at ${dir}/swap_a\n$`));
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(` ${dir} `);
      expect(availableCongestionControls()).toContain('so_swap');
    } finally {
      // Unmounting drops the pin, and with it the registration.
      if (readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dir} `)) execFileSync('umount', [dir]);
    }
    expect(await eventually(() => !availableCongestionControls().includes('so_swap'))).toBe(true);
  });
});
