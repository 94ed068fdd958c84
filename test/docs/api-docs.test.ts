import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('API reference (docs/api, generated from TSDoc by TypeDoc)', () => {
  test('is current: regenerating it changes nothing (run `npm run docs` after API changes)', () => {
    const out = mkdtempSync(join(tmpdir(), 'struct-ops-docs-'));
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'typedoc'), ['--logLevel', 'Warn', '--out', out], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000,
      });
      const fresh = listFiles(out).map((f) => relative(out, f)).sort();
      const committed = listFiles(join(ROOT, 'docs', 'api')).map((f) => relative(join(ROOT, 'docs', 'api'), f)).sort();
      expect(committed).toEqual(fresh);
      const stale = fresh.filter((f) => readFileSync(join(out, f), 'utf8') !== readFileSync(join(ROOT, 'docs', 'api', f), 'utf8'));
      expect(stale).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180000);

  test('documents the public entry points', () => {
    const index = readFileSync(join(ROOT, 'docs', 'api', 'README.md'), 'utf8');
    for (const name of ['openObject', 'BpfObject', 'StructOpsMap', 'BpfLink', 'BpfError', 'loadKernelBtf', 'setCongestionControl']) {
      expect(index).toContain(name);
    }
  });
});
