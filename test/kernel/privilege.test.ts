import { copyFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAsNobody, unprivilegedLibrary } from '../helpers/child-unprivileged';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

describeKernel('loading an object without privileges', () => {
  test('open works, load fails with EPERM and the privilege hint, and nothing leaks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'struct-ops-priv-'));
    chmodSync(dir, 0o755);
    const obj = join(dir, 'reno.bpf.o');
    copyFileSync(fixture('reno'), obj);
    chmodSync(obj, 0o644);
    const script = `
      const { openObject } = require(${JSON.stringify(unprivilegedLibrary())});
      (async () => {
        const obj = await openObject(process.argv[1]);
        const opened = [...obj.structOps.keys()];
        try { await obj.load(); console.log(JSON.stringify({ loaded: true })); }
        catch (e) { console.log(JSON.stringify({ opened, name: e.name, code: e.code, command: e.command, hint: e.hint, message: e.message })); }
      })();`;
    try {
      const child = runAsNobody(['-e', script, obj]);
      expect(child.stderr).toBe('');
      const result = JSON.parse(child.stdout.trim());
      expect(result).toMatchObject({ opened: ['reno'], name: 'BpfError', code: 'EPERM' });
      expect(result.command).toMatch(/^BPF_/);
      expect(result.hint).toMatch(/root or CAP_BPF/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
