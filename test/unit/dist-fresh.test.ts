/** The stale-dist/ guard of child-process tests (test/helpers/dist-fresh.ts). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distStaleness } from '../helpers/dist-fresh';

describe('distStaleness', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'struct-ops-dist-'));
    mkdirSync(join(root, 'lib', 'sys'), { recursive: true });
    writeFileSync(join(root, 'lib', 'sys', 'a.ts'), '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const age = (rel: string, secondsAgo: number): void => {
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(join(root, rel), t, t);
  };

  test('missing dist/ is refused', () => {
    expect(distStaleness(root)).toMatch(/dist\/ is missing/);
  });

  test('a source newer than the build is refused, naming it; an older one passes', () => {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.js'), '');
    age('dist/index.js', 100);
    age('lib/sys/a.ts', 10);
    expect(distStaleness(root)).toMatch(/stale: lib\/sys\/a\.ts changed/);
    age('lib/sys/a.ts', 200);
    expect(distStaleness(root)).toBeNull();
  });
});
