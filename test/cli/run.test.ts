import { execFileSync } from 'node:child_process';
import { openLinkById } from '../../lib';
import { cli } from '../helpers/child-cli';
import { availableCongestionControls } from '../../lib/demo';
import { bpftoolJson, structOpsShow } from '../helpers/bpftool';
import { eventually } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { killStarted, startCli } from '../helpers/long-cli';
import { pushTraffic } from '../helpers/traffic';

// run_cc's maps and algorithms start with s15_: no other test uses these names.
const OBJ = fixture('run_cc');
const ALGORITHMS = ['s15_run', 's15_run_leg'];
const ours = (): { id: number; name: string }[] => structOpsShow().filter((s) => s.name.startsWith('s15_'));
const structOpsLinks = (): { id: number }[] =>
  (bpftoolJson<{ id: number; type: string }[]>('link', 'show') ?? []).filter((l) => l.type === 'struct_ops');

/** The map a link points at, read through the link (bpftool 7.1 does not print it). */
function linkMapId(id: number): number {
  const link = openLinkById(id);
  try {
    return link.info().structOpsMapId ?? 0;
  } finally {
    link.close();
  }
}

/** The kernel as the run must leave it: no s15_ map registered, no algorithm, no link. */
async function expectNothingLeft(linkIds: number[]): Promise<void> {
  expect(await eventually(() => ours().length === 0)).toBe(true);
  expect(availableCongestionControls().filter((a) => ALGORITHMS.includes(a))).toEqual([]);
  const live = structOpsLinks().map((l) => l.id);
  for (const id of linkIds) expect(live).not.toContain(id);
}

/** `<elapsed>s <group> <name> <value> <rate>/s` lines of the plain view for one counter. */
function plainValues(lines: string[], group: string, name: string): number[] {
  const re = new RegExp(`^\\d+\\.\\ds ${group.replace('.', '\\.')} ${name} +(\\d+) `);
  return lines.map((l) => re.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
}

describeKernel('struct-ops run', () => {
  afterEach(async () => {
    await killStarted();
    unregisterLeftovers(['s15_', 's16_']);
    expect(await eventually(() => ours().length === 0)).toBe(true);
  });

  test('--seconds 3 while a transfer uses the algorithm: counters rise, exit 0, nothing left registered', async () => {
    const run = startCli(['run', OBJ, '--seconds', '3', '--interval', '0.5']);
    const registered = await run.waitForLine((l) => /^registered s15_run_link /.test(l), 'registration line');
    const linkId = Number(/ link (\d+)$/.exec(registered)![1]);
    await run.waitForLine((l) => /^\d+\.\ds \.bss cong_avoid_calls /.test(l), 'first refresh');
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(ALGORITHMS));
    const before = plainValues(run.lines(), '.bss', 'cong_avoid_calls');
    const traffic = await pushTraffic('s15_run', 8 * 1024 * 1024);
    expect(traffic.algorithm).toBe('s15_run');
    const { code, signal } = await run.exited;
    expect(run.stderr()).toBe('');
    expect([code, signal]).toEqual([0, null]);
    const lines = run.lines();
    expect(lines).toContain('ended: --seconds 3 elapsed');
    expect(lines.at(-1)).toBe('exit status 0');
    const after = plainValues(lines, '.bss', 'cong_avoid_calls');
    // Before the transfer no socket used s15_run; the final reading (after detaching) has its calls.
    expect(before.every((v) => v === 0)).toBe(true);
    expect(after.at(-1)!).toBeGreaterThan(0);
    for (let i = 1; i < after.length; i++) expect(after[i]).toBeGreaterThanOrEqual(after[i - 1]);
    expect(plainValues(lines, '.bss', 'init_calls').at(-1)).toBeGreaterThanOrEqual(1);
    await expectNothingLeft([linkId]);
  });

  test.each([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const)('%s mid-run: detaches, then ends by the signal (status %d)', async (sig, status) => {
    const run = startCli(['run', OBJ, '--interval', '0.2']);
    const registered = await run.waitForLine((l) => /^registered s15_run_link /.test(l), 'registration line');
    const linkId = Number(/ link (\d+)$/.exec(registered)![1]);
    await run.waitForLine((l) => /\.bss cong_avoid_calls/.test(l), 'first refresh');
    expect(structOpsLinks().map((l) => l.id)).toContain(linkId);
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(ALGORITHMS));
    run.proc.kill(sig);
    const { code, signal } = await run.exited;
    expect(run.stderr()).toBe('');
    expect([code, signal]).toEqual([null, sig]);
    const lines = run.lines();
    expect(lines).toContain(`ended: ${sig} received; detached`);
    expect(lines.at(-1)).toBe(`exit status ${status} (re-raising ${sig})`);
    await expectNothingLeft([linkId]);
  });

  test('--json: one object per line, counters in every interval, the end with its status', async () => {
    const run = startCli(['run', OBJ, '--json', '--seconds', '2', '--interval', '0.25']);
    const first = JSON.parse(await run.waitForLine((l) => l.includes('"type":"interval"'), 'first interval'));
    expect(first.values['.bss'].cong_avoid_calls).toBe(0);
    await pushTraffic('s15_run', 4 * 1024 * 1024);
    const { code } = await run.exited;
    expect(code).toBe(0);
    const objs = run.lines().map((l) => JSON.parse(l));
    expect(objs[0]).toMatchObject({ type: 'registered', interval_s: 0.25 });
    expect(objs[0].maps).toEqual(expect.arrayContaining([
      expect.objectContaining({ map: 's15_run_link', kernel_struct_ops: 'tcp_congestion_ops', name: 's15_run', legacy: false }),
      expect.objectContaining({ map: 's15_run_legacy', name: 's15_run_leg', legacy: true }),
    ]));
    const intervals = objs.filter((o) => o.type === 'interval');
    expect(intervals.length).toBeGreaterThanOrEqual(1);
    for (const o of intervals) {
      expect(typeof o.values['.bss'].cong_avoid_calls).toBe('number');
      expect(o.values['.data'].generation).toBe(1);
      expect(typeof o.rates_per_s['.bss'].cong_avoid_calls).toBe('number');
    }
    const end = objs.at(-1);
    expect(end).toMatchObject({ type: 'ended', reason: 'seconds', exit_status: 0 });
    expect(end.values['.bss'].cong_avoid_calls).toBeGreaterThan(0);
    expect(end.values['.bss'].samples_sent).toBeGreaterThan(0);
    // The per-CPU array, summed over CPUs: slot CB_CONG_AVOID (2) counts the same calls as .bss.
    expect(end.values.s15_pcpu['[2]']).toBe(end.values['.bss'].cong_avoid_calls);
    expect(end.values.s15_pcpu['[0]']).toBe(end.values['.bss'].init_calls);
    await expectNothingLeft(objs[0].maps.filter((m: { link_id?: number }) => m.link_id).map((m: { link_id: number }) => m.link_id));
  });

  test('a link detached underneath by another process (bpftool link detach) ends the run with exit 3', async () => {
    const run = startCli(['run', OBJ, '--json', '--map', 's15_run_link', '--interval', '0.2']);
    const start = JSON.parse(await run.waitForLine((l) => l.includes('"type":"registered"'), 'registration'));
    const linkId = start.maps[0].link_id as number;
    expect(linkMapId(linkId)).toBe(start.maps[0].map_id);
    // Another process: BPF_LINK_GET_FD_BY_ID + BPF_LINK_DETACH.
    execFileSync('bpftool', ['link', 'detach', 'id', String(linkId)], { stdio: 'pipe' });
    const { code, signal } = await run.exited;
    expect([code, signal]).toEqual([3, null]);
    const [end, error] = run.lines().slice(-2).map((l) => JSON.parse(l));
    expect(end).toMatchObject({ type: 'ended', reason: 'detached', exit_status: 3 });
    expect(end.message).toMatch(new RegExp(`link ${linkId} of s15_run_link was detached underneath`));
    // The CLI's one error path: a non-zero status ends --json output with {"error": ...}.
    expect(error).toEqual({ error: end.message });
    await expectNothingLeft([linkId]);
  });

  test('a legacy map unregistered underneath by another process ends the run with exit 3', async () => {
    const run = startCli(['run', OBJ, '--map', 's15_run_legacy', '--interval', '0.2']);
    const registered = await run.waitForLine((l) => /^registered s15_run_legacy /.test(l), 'registration line');
    const mapId = Number(/ map (\d+) /.exec(registered)![1]);
    expect(ours().map((m) => m.id)).toContain(mapId);
    execFileSync('bpftool', ['struct_ops', 'unregister', 'id', String(mapId)], { stdio: 'pipe' });
    const { code } = await run.exited;
    expect(code).toBe(3);
    expect(run.stderr()).toMatch(/^struct-ops run: s15_run_legacy .* was unregistered underneath/);
    expect(run.lines()).toContain(`ended: s15_run_legacy (map ${mapId}) was unregistered underneath by another process ` +
      '(its element was deleted, e.g. by `struct-ops unregister`)');
    await expectNothingLeft([]);
  });

  test('--set and --rodata go through the typed shadow value and globals before load', async () => {
    const run = startCli(['run', OBJ, '--json', '--map', 's15_run_link', '--set', 's15_run_link.name=s15_run_set',
      '--rodata', 'sample_every=1', '--interval', '0.2']);
    const start = JSON.parse(await run.waitForLine((l) => l.includes('"type":"registered"'), 'registration'));
    expect(start.maps[0].name).toBe('s15_run_set');
    expect(availableCongestionControls()).toContain('s15_run_set');
    await pushTraffic('s15_run_set', 4 * 1024 * 1024);
    run.proc.kill('SIGINT');
    await run.exited;
    const end = JSON.parse(run.lines().at(-1)!);
    // sample_every=1: one ring buffer sample per cong_avoid call (the default 8 gives 1/8).
    expect(end.values['.bss'].cong_avoid_calls).toBeGreaterThan(0);
    expect(end.values['.bss'].samples_sent + end.values['.bss'].samples_dropped).toBe(end.values['.bss'].cong_avoid_calls);
    expect(availableCongestionControls()).not.toContain('s15_run_set');
  });

  test('--events: every ring buffer record, decoded through BTF, in order, none lost', async () => {
    const run = startCli(['run', OBJ, '--json', '--map', 's15_run_link', '--rodata', 'sample_every=1',
      '--events', 's15_events:s15_sample', '--interval', '0.2']);
    await run.waitForLine((l) => l.includes('"type":"registered"'), 'registration');
    await pushTraffic('s15_run', 4 * 1024 * 1024);
    await run.waitForLine((l) => l.includes('"type":"event"'), 'a record');
    run.proc.kill('SIGINT');
    await run.exited;
    const objs = run.lines().map((l) => JSON.parse(l));
    const events = objs.filter((o) => o.type === 'event');
    const end = objs.find((o) => o.type === 'ended');
    // Records drained after detaching: as many as the program submitted, seq 0, 1, 2, ...
    expect(events.length).toBe(end.values['.bss'].samples_sent);
    expect(end.values['.bss'].samples_dropped).toBe(0);
    events.forEach((e, i) => {
      expect(e.map).toBe('s15_events');
      expect(e.record.seq).toBe(i);
      expect(e.record.cwnd).toBeGreaterThan(0);
    });
  });

  test('--events names a map that is not a ring buffer: exit 1, nothing registered', () => {
    const r = cli(['run', OBJ, '--events', 's15_pcpu', '--seconds', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/s15_pcpu is PERCPU_ARRAY, not RINGBUF/);
    const t = cli(['run', OBJ, '--events', 's15_events:no_such_type', '--seconds', '1']);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/no_such_type/);
    expect(ours()).toEqual([]);
  });

  test('an edit the type refuses: exit 1 before anything is registered, the error says why (text and --json)', () => {
    const member = cli(['run', OBJ, '--set', 's15_run_link.nmae=x', '--seconds', '1']);
    expect(member.code).toBe(1);
    expect(member.stderr).toMatch(/^struct-ops run: .*nmae/);
    const range = cli(['run', OBJ, '--rodata', 'sample_every=-1', '--json', '--seconds', '1']);
    expect(range.code).toBe(1);
    const err = JSON.parse(range.stdout);
    expect(err.error).toMatch(/sample_every .*-1/);
    const long = cli(['run', OBJ, '--set', 's15_run_link.name=s15_a_name_too_long', '--seconds', '1']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/at most 15 bytes/);
    expect(cli(['run', OBJ, '--interval', '0']).code).toBe(2);
    const help = cli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit status: 0 --seconds elapsed; 1 .*\n.*2 usage error; 3 the registration ended/);
    expect(cli(['run', OBJ, '--seconds', '1e3']).code).toBe(2);
    expect(ours()).toEqual([]);
  });

  // Each rule of run's input (lib/cli/commands/run.ts, lib/cli/run/{edits,events,select}.ts)
  // once: the exit status, the message naming what and why, and nothing registered.
  test.each([
    ['no object file', ['run'], 2, /^struct-ops run: expected one object file/],
    ['two object files', ['run', OBJ, OBJ], 2, /^struct-ops run: expected one object file/],
    ['--set without =', ['run', OBJ, '--set', 's15_run_link.name'], 1, /^struct-ops run: --set "s15_run_link\.name": expected NAME=VALUE/],
    ['--set without MAP.', ['run', OBJ, '--set', 'name=x'], 1, /^struct-ops run: --set "name=x": expected MAP\.MEMBER=VALUE\nhint: e\.g\. --set mycc\.name=mycc2/],
    ['--set MAP. with no member', ['run', OBJ, '--set', 's15_run_link.=x'], 1, /expected MAP\.MEMBER=VALUE/],
    ['--set on a map the object lacks', ['run', OBJ, '--set', 's15_nosuch.name=x'], 1, /^struct-ops run: --set s15_nosuch\.name: no struct_ops map named s15_nosuch/],
    ['--rodata of an unknown variable', ['run', OBJ, '--rodata', 's15_nosuch=1'], 1, /^struct-ops run: --rodata s15_nosuch: no variable s15_nosuch in \.rodata/],
    ['--rodata on an object without .rodata', ['run', fixture('reno'), '--rodata', 'x=1'], 1, /^struct-ops run: --rodata x: reno has no \.rodata section/],
    ['--events with an empty map', ['run', OBJ, '--events', ':struct_event'], 1, /^struct-ops run: --events ":struct_event": expected MAP or MAP:TYPE/],
    ['--events with an empty type', ['run', OBJ, '--events', 's15_events:'], 1, /expected MAP or MAP:TYPE/],
    ['--events of an unknown map', ['run', OBJ, '--events', 's15_nosuch'], 1, /^struct-ops run: --events s15_nosuch: no map named s15_nosuch/],
    ['--map of an unknown map', ['run', OBJ, '--map', 's15_nosuch'], 1, /^struct-ops run: no struct_ops map named s15_nosuch in .*run_cc\.bpf\.o\nhint: available maps: s15_run_link/],
    ['an object without struct_ops', ['run', fixture('s11_bench')], 1, /^struct-ops run: no struct_ops found in .*s11_bench\.bpf\.o/],
    ['only optional struct_ops maps, none named', ['run', fixture('s16_run_optional')], 1, /^struct-ops run: every struct_ops map of .*s16_run_optional\.bpf\.o is optional .*; name the ones to use with --map\nhint: available maps: s16_optional/],
  ])('%s', (_what, args, code, message) => {
    const r = cli([...(args as string[]), '--seconds', '1']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringMatching(message as RegExp) });
    expect(ours()).toEqual([]);
    expect(availableCongestionControls()).not.toContain('s16_optional');
  });

  test('the optional map runs when --map names it', async () => {
    const run = startCli(['run', fixture('s16_run_optional'), '--map', 's16_optional', '--seconds', '1']);
    await run.waitForLine((l) => /^registered s16_optional /.test(l), 'registration line');
    expect(availableCongestionControls()).toContain('s16_optional');
    expect((await run.exited).code).toBe(0);
    expect(availableCongestionControls()).not.toContain('s16_optional');
  });
});
