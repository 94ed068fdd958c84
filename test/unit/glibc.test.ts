/**
 * Portability of the native addon (issue 12): every built or prebuilt struct_ops.node must
 * load on glibc 2.28 (RHEL 8, Debian 10, Ubuntu 20.04), so `objdump -T` may show no symbol
 * version newer than GLIBC_2.28 (strerrorname_np, GLIBC_2.32, was the one that broke it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Each addon binary in the tree: the build, and whatever prebuilds/build-arm64 hold. */
function addons(): string[] {
  const found = [join(ROOT, 'build', 'Release', 'struct_ops.node'), join(ROOT, 'build-arm64', 'Release', 'struct_ops.node')];
  const pre = join(ROOT, 'prebuilds');
  if (existsSync(pre)) for (const d of readdirSync(pre)) found.push(join(pre, d, 'struct_ops.node'));
  return found.filter((f) => existsSync(f));
}

/** GLIBC_x.y versions the file's dynamic symbols need (objdump -T reads both arches). */
function glibcVersions(file: string): string[] {
  const out = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  return [...new Set([...out.matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]))];
}

const newer = (a: string, b: string): boolean => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

describe('native addon portability', () => {
  test('the addon is built', () => {
    expect(addons()).toContain(join(ROOT, 'build', 'Release', 'struct_ops.node'));
  });

  test.each(addons().map((f) => [f.slice(ROOT.length + 1), f]))('%s needs nothing newer than GLIBC_2.28', (_rel, file) => {
    const versions = glibcVersions(file);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((v) => newer(v, '2.28'))).toEqual([]);
    expect(execFileSync('objdump', ['-T', file], { encoding: 'utf8' })).not.toMatch(/strerrorname_np/);
  });

  test('the version comparison', () => {
    expect(newer('2.32', '2.28')).toBe(true);
    expect(newer('2.28', '2.28')).toBe(false);
    expect(newer('2.3.4', '2.28')).toBe(false);
  });
});
