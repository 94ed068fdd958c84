import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir } from '../../lib/compile-cache';

const DIST_INDEX = join(__dirname, '..', '..', 'dist', 'index.js');

describe('V8 code cache for the package modules', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'struct-ops-cc-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  test('is off on request, and per Node version and arch in the chosen directory', () => {
    expect(compileCacheDir({ STRUCT_OPS_COMPILE_CACHE: 'off' })).toBeUndefined();
    expect(compileCacheDir({ STRUCT_OPS_COMPILE_CACHE: base })).toBe(join(base, `v8-${process.version}-${process.arch}`));
  });

  test('refuses a directory others can write (V8 trusts code cache contents)', () => {
    const dir = join(base, `v8-${process.version}-${process.arch}`);
    expect(compileCacheDir({ STRUCT_OPS_COMPILE_CACHE: base })).toBe(dir);
    chmodSync(dir, 0o777);
    expect(compileCacheDir({ STRUCT_OPS_COMPILE_CACHE: base })).toBeUndefined();
  });

  test('a first process writes the cache, later ones reuse it and behave the same', () => {
    const script = "const so = require(process.argv[1]); console.log(typeof so.openObject, Object.keys(so).length)";
    const run = (): string => {
      const r = spawnSync(process.execPath, ['-e', script, DIST_INDEX], {
        encoding: 'utf8', env: { ...process.env, STRUCT_OPS_COMPILE_CACHE: base },
      });
      expect(r.stderr).toBe('');
      return r.stdout;
    };
    const first = run();
    const files = readdirSync(join(base, `v8-${process.version}-${process.arch}`));
    expect(files.length).toBeGreaterThan(50); // one per module of dist/
    expect(files.every((f) => /^[0-9a-f]{40}$/.test(f))).toBe(true);
    expect(run()).toBe(first);
    expect(first).toMatch(/^function \d+\n$/);
  });
});
