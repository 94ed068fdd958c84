import { BpfLink, BpfObject, openObject } from '../../lib';
import { cli } from '../helpers/child-cli';
import { structOpsDump } from '../helpers/bpftool';
import { testWithLinks } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

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

describe('struct-ops dump: usage', () => {
  test('--help prints the usage and exits 0', () => {
    const r = cli(['dump', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: struct-ops dump \[NAME \| --id ID\] \[-j \| -p\]/);
  });

  test.each([
    [['dump', '--bogus'], /unknown option --bogus/],
    [['dump', 'a', 'b'], /at most one NAME/],
    [['dump', 'x', '--id', '7'], /either NAME or --id/],
    [['dump', '--id', '-1'], /--id needs a value, got the option -1/],
    [['dump', '--id=-1'], /--id must be a decimal integer from 1/],
    [['dump', '--id', '0x47d9'], /--id must be a decimal integer from 1/],
  ])('%j is a usage error: exit 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: struct-ops dump');
  });
});

describeKernel('struct-ops dump against the kernel', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  let reno: BpfObject;
  let renoId = 0;

  beforeAll(async () => {
    reno = await openObject(fixture('reno'));
    objects.push(reno);
    reno.structOps.get('reno')!.value.name = 'so_isp_cdump';
    await reno.load();
    links.push(await reno.structOps.get('reno')!.attach());
    renoId = reno.structOps.get('reno')!.id;
  });
  afterAll(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });

  test('--json equals `bpftool -j struct_ops dump id N` field by field', () => {
    const r = cli(['dump', '--id', String(renoId), '--json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const ours = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(ours.map((o) => Object.keys(o))).toEqual([['bpf_map_info'], ['bpf_struct_ops_tcp_congestion_ops']]);
    expect(flatten(ours)).toEqual(flatten(structOpsDump(renoId)));
    const data = (ours[1].bpf_struct_ops_tcp_congestion_ops as { data: Record<string, unknown> }).data;
    expect(data.ssthresh).toBe(`u32 (struct sock *) reno_ssthresh/prog_id:${reno.programs.get('reno_ssthresh')!.id}`);
    expect(data.set_state).toBe('void (struct sock *, u8) 0');
    expect(data.name).toBe('so_isp_cdump');
  });

  test('plain: a header and one row per member with program name and id', () => {
    const r = cli(['dump', '--id', String(renoId)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`reno (map id ${renoId}): struct tcp_congestion_ops (vmlinux), state INUSE, refcnt 1, links -`);
    expect(lines[1]).toMatch(/^ {2}MEMBER +VALUE$/);
    const row = (member: string): string => lines.find((l) => l.trimStart().startsWith(`${member} `))!.trim().replace(/\s+/, ' ');
    expect(row('ssthresh')).toBe(`ssthresh reno_ssthresh (prog id ${reno.programs.get('reno_ssthresh')!.id})`);
    expect(row('undo_cwnd')).toBe(`undo_cwnd reno_undo_cwnd (prog id ${reno.programs.get('reno_undo_cwnd')!.id})`);
    expect(row('set_state')).toBe('set_state -');
    expect(row('name')).toBe('name "so_isp_cdump"');
    expect(row('flags')).toBe('flags 0');
    expect(lines).toHaveLength(2 + 18);
  });

  test('without NAME or --id every struct_ops map is dumped, ours among them', () => {
    const r = cli(['dump', '--json']);
    expect(r.code).toBe(0);
    const all = JSON.parse(r.stdout) as Record<string, { id?: number }>[];
    expect(all.length % 2).toBe(0);
    const at = all.findIndex((o) => o.bpf_map_info?.id === renoId);
    expect(at % 2).toBe(0);
    expect(Object.keys(all[at + 1])).toEqual(['bpf_struct_ops_tcp_congestion_ops']);
  });

  testWithLinks('a link map: READY, link id in the header, --json equal to bpftool', async () => {
    const obj = await openObject(fixture('cubic'));
    objects.push(obj);
    obj.structOps.get('cubic_legacy')!.value.name = 'so_isp_cdl';
    obj.structOps.get('cubic_link')!.value.name = 'so_isp_cdk';
    await obj.load();
    const link = await obj.structOps.get('cubic_link')!.attach();
    links.push(link);
    const id = obj.structOps.get('cubic_link')!.id;
    const plain = cli(['dump', '--id', String(id)]);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')[0]).toBe(`cubic_link (map id ${id}): struct tcp_congestion_ops (vmlinux), state READY, refcnt 1, links ${link.id}`);
    expect(plain.stdout).toMatch(new RegExp(`\\n  init +cu_init \\(prog id ${obj.programs.get('cu_init')!.id}\\)\\n`));
    const json = cli(['dump', '--id', String(id), '--json']);
    expect(flatten(JSON.parse(json.stdout))).toEqual(flatten(structOpsDump(id)));
  });

  test('no match: exit 1 and "struct-ops dump: no struct_ops found for ..." on stderr; JSON mode prints {"error"}', () => {
    const plain = cli(['dump', 'so_isp_none']);
    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr.split('\n')[0]).toBe('struct-ops dump: no struct_ops found for so_isp_none');
    const json = cli(['dump', '--id', '4294967295', '--json']);
    expect(json).toMatchObject({ code: 1 });
    expect(JSON.parse(json.stdout)).toEqual({ error: 'no struct_ops found for id 4294967295' });
    expect(json.stderr).not.toContain('no struct_ops found');
  });

  test('without privileges: exit 1 with the EPERM error and a hint', () => {
    const r = cli(['dump', '--id', String(renoId)], { unprivileged: true });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^struct-ops dump: .*EPERM/);
    expect(r.stderr).toMatch(/^hint: /m);
  });
});
