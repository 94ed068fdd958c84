import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeKernel } from '../helpers/kernel';

const root = join(__dirname, '..', '..');

// Runs lib/sys under plain node: .ts files are transpiled on require with TypeScript.
const childScript = `
const fs = require('fs');
const ts = require('typescript');
require.extensions['.ts'] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  m._compile(out.outputText, file);
};
const { mapCreate, BpfMapType } = require('./lib/sys');
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
    const child = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', childScript],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({ name: 'BpfError', code: 'EPERM', errno: 1, command: 'BPF_MAP_CREATE' });
    expect(result.hint).toMatch(/needs root or CAP_BPF/);
  });
});
