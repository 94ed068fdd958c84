import { listStructOpsTypes } from '../../lib';
import { cli } from '../helpers/child-cli';
import { describeKernel } from '../helpers/kernel';

describe('struct-ops types: usage', () => {
  test('--help prints the usage and exits 0', () => {
    const r = cli(['types', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: struct-ops types \[NAME\] \[-j \| -p\]/);
  });

  test.each([
    [['types', '--bogus'], /unknown option --bogus/],
    [['types', 'a', 'b'], /at most one NAME/],
    [['types', '--id', '3'], /unknown option --id/],
  ])('%j is a usage error: exit 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: struct-ops types');
  });
});

describeKernel('struct-ops types against the running kernel (unprivileged)', () => {
  test('the list: one row per type with module, value size, members and callbacks', () => {
    const r = cli(['types'], { unprivileged: true });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE +MODULE +VALUE_SIZE +MEMBERS +CALLBACKS$/);
    expect(lines).toContainEqual(expect.stringMatching(/^tcp_congestion_ops +vmlinux +256 +18 +13$/));
    expect(lines).toHaveLength(1 + listStructOpsTypes().length);
  });

  test('one type: a C struct with offsets, sizes and named callback parameters', () => {
    const r = cli(['types', 'tcp_congestion_ops'], { unprivileged: true });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^struct tcp_congestion_ops \{ {2}\/\* vmlinux, type id \d+, 192 bytes; map value struct bpf_struct_ops_tcp_congestion_ops \(id \d+\), 256 bytes \*\/$/);
    expect(lines.at(-1)).toBe('};');
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}u32 \(\*ssthresh\)\(struct sock \*sk\); +\/\* +0 +8 callback \*\/$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}char name\[16\]; +\/\* +88 +16 \*\/$/));
    expect(lines).toHaveLength(2 + 18);
  });

  test('--json is the library result with bpftool\'s snake_case keys', () => {
    const r = cli(['types', 'tcp_congestion_ops', '--json'], { unprivileged: true });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [tcp] = listStructOpsTypes('tcp_congestion_ops');
    const [shown] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(shown).toEqual({ name: tcp.name, module: tcp.module, type_id: tcp.typeId, value_type_id: tcp.valueTypeId,
      value_size: tcp.valueSize, size: tcp.size, members: tcp.members.map(({ bitfieldSize, namesFrom, ...m }) => ({ ...m, bitfield_size: bitfieldSize, ...(namesFrom ? { names_from: namesFrom } : {}) })) });
    expect(r.stdout).not.toMatch(/"[a-z]+[A-Z]\w*":/);
    const all = JSON.parse(cli(['types', '--json']).stdout) as { name: string }[];
    expect(all.map((t) => t.name)).toEqual(listStructOpsTypes().map((t) => t.name));
  });

  test('an unknown type: exit 1 with an error and a hint on stderr', () => {
    const r = cli(['types', 'so_isp_nosuch_ops']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^struct-ops types: struct_ops type so_isp_nosuch_ops is not supported by the running kernel\nhint: /);
    const json = cli(['types', 'so_isp_nosuch_ops', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: 'struct_ops type so_isp_nosuch_ops is not supported by the running kernel' });
  });
});
