import { execFileSync } from 'node:child_process';
import { BpfLink, BpfObject, openObject } from '../../lib';
import { cli } from '../helpers/child-cli';
import { structOpsShow } from '../helpers/bpftool';
import { testWithLinks } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

interface ShownJson { id: number; name: string; kernel_struct_ops: string; state: string; refcnt: number; link_ids: number[] }

describe('struct-ops show: usage', () => {
  test('--help prints the usage and exits 0', () => {
    const r = cli(['show', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: struct-ops show \[NAME\] \[--id ID\] \[-j \| -p\]/);
    expect(r.stdout).toContain('kernel_struct_ops');
  });

  test.each([
    [['show', '--bogus'], /unknown option --bogus/],
    [['show', 'a', 'b'], /at most one NAME/],
    [['show', 'reno', '--id', '3'], /either NAME or --id/],
    [['show', '--id', 'abc'], /--id must be a decimal integer from 1 to 4294967295, got "abc"/],
    [['show', '--id', '0'], /--id must be a decimal integer from 1/],
    [['show', '--id', '0x47d9'], /--id must be a decimal integer from 1/],
    [['show', '--id', '1e3'], /--id must be a decimal integer from 1/],
    [['show', '--id', ' 5'], /--id must be a decimal integer from 1/],
    [['show', '--id', '5.0'], /--id must be a decimal integer from 1/],
    [['show', '--id'], /needs a value/],
  ])('%j is a usage error: exit 2, message and usage on stderr', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: struct-ops show');
  });
});

describeKernel('struct-ops show against the kernel', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  let renoId = 0;

  beforeAll(async () => {
    const obj = await openObject(fixture('reno'));
    objects.push(obj);
    obj.structOps.get('reno')!.value.name = 'so_isp_cshow';
    await obj.load();
    links.push(await obj.structOps.get('reno')!.attach());
    renoId = obj.structOps.get('reno')!.id;
  });
  afterAll(() => {
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
  });

  test('plain: bpftool\'s "%u: %-15s %-32s" line, then state and refcnt', () => {
    const r = cli(['show']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${renoId}: `))!;
    const bpftoolLine = execFileSync('bpftool', ['struct_ops', 'show', 'id', String(renoId)], { encoding: 'utf8' }).replace(/\n$/, '');
    expect(bpftoolLine).toBe(`${renoId}: ${'reno'.padEnd(15)} ${'tcp_congestion_ops'.padEnd(32)}`);
    expect(line.startsWith(bpftoolLine)).toBe(true);
    expect(line.slice(bpftoolLine.length)).toMatch(/^ INUSE +refcnt 1$/);
  });

  test('--json: bpftool\'s keys and values, plus state, refcnt and link_ids', () => {
    const r = cli(['show', '--json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const ours = JSON.parse(r.stdout) as ShownJson[];
    const theirs = structOpsShow();
    const mine = ours.find((s) => s.id === renoId)!;
    expect(mine).toMatchObject({ ...theirs.find((s) => s.id === renoId)!, state: 'INUSE', refcnt: 1, link_ids: [] });
    expect(Object.keys(mine).slice(0, 3)).toEqual(['id', 'name', 'kernel_struct_ops']);
    // Every map bpftool lists now appears with bpftool's three fields unchanged.
    for (const t of theirs) {
      const o = ours.find((s) => s.id === t.id);
      if (o) expect({ id: o.id, name: o.name, kernel_struct_ops: o.kernel_struct_ops }).toEqual(t);
    }
  });

  test('--id and NAME select', () => {
    const byId = cli(['show', '--id', String(renoId), '--json']);
    expect(byId.code).toBe(0);
    expect((JSON.parse(byId.stdout) as ShownJson[]).map((s) => s.id)).toEqual([renoId]);
    const byName = cli(['show', 'reno', '--json']);
    expect(byName.code).toBe(0);
    const named = JSON.parse(byName.stdout) as ShownJson[];
    expect(named.map((s) => s.id)).toContain(renoId);
    expect(named.every((s) => s.name === 'reno')).toBe(true);
  });

  testWithLinks('a link-registered map shows READY with its link id', async () => {
    const obj = await openObject(fixture('cubic'));
    objects.push(obj);
    obj.structOps.get('cubic_legacy')!.value.name = 'so_isp_csl';
    obj.structOps.get('cubic_link')!.value.name = 'so_isp_csk';
    await obj.load();
    const link = await obj.structOps.get('cubic_link')!.attach();
    links.push(link);
    const id = obj.structOps.get('cubic_link')!.id;
    const r = cli(['show', '--id', String(id)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`${id}: ${'cubic_link'.padEnd(15)} ${'tcp_congestion_ops'.padEnd(32)} READY    refcnt 1  links ${link.id}\n`);
    const json = JSON.parse(cli(['show', '--id', String(id), '--json']).stdout) as ShownJson[];
    expect(json).toEqual([expect.objectContaining({ id, name: 'cubic_link', state: 'READY', refcnt: 1, link_ids: [link.id] })]);
  });

  test('no match: exit 1 and bpftool\'s error on stderr; JSON mode prints {"error"}', () => {
    const plain = cli(['show', 'so_isp_none']);
    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr.split('\n')[0]).toBe('struct-ops show: no struct_ops found for so_isp_none');
    expect(plain.stderr).toMatch(/^hint: /m);
    const json = cli(['show', 'so_isp_none', '--json']);
    expect(json).toMatchObject({ code: 1 });
    expect(JSON.parse(json.stdout)).toEqual({ error: 'no struct_ops found for so_isp_none' });
    const byId = cli(['show', '--id', '4294967295']);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toContain('struct-ops show: no struct_ops found for id 4294967295');
  });

  test('without privileges: exit 1 with the EPERM error and a hint', () => {
    const r = cli(['show'], { unprivileged: true });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^struct-ops show: .*EPERM/);
    expect(r.stderr).toMatch(/^hint: needs root/m);
  });
});
