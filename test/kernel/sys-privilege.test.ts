import { join } from 'node:path';
import { runAsNobody, unprivilegedRoot } from '../helpers/child-unprivileged';
import { describeKernel } from '../helpers/kernel';

// lib/sys as built (dist/sys), from the copy nobody can read wherever the checkout lives.
const childScript = (sys: string): string => `
const { mapCreate, BpfMapType } = require(${JSON.stringify(sys)});
// LRU_HASH needs CAP_BPF even where kernel.unprivileged_bpf_disabled is 0.
try {
  mapCreate({ mapType: BpfMapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 1 }).close();
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, message: e.message, code: e.code, errno: e.errno, command: e.command, hint: e.hint }));
}
`;

describeKernel('lib/sys without privileges', () => {
  test('an unprivileged mapCreate fails with EPERM and the privilege hint', () => {
    const child = runAsNobody(['-e', childScript(join(unprivilegedRoot(), 'dist', 'sys'))], { timeout: 30_000 });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({ name: 'BpfError', code: 'EPERM', errno: 1, command: 'BPF_MAP_CREATE' });
    expect(result.hint).toMatch(/needs root or CAP_BPF/);
  });
});
