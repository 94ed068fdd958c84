/**
 * Read-only file mappings (native/file_map.cc via lib/sys/file-map.ts), which replace
 * sysfs's one-page-per-read(2) for the kernel's BTF, and PagedFile reading through one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PagedFile } from '../../../lib/btf/paged-file';
import { mapFileReadOnly } from '../../../lib/sys';

describe('mapFileReadOnly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-map-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = Buffer.alloc(3 * 4096 + 77);
  for (let i = 0; i < content.length; i++) content[i] = (i * 13 + (i >> 9)) & 0xff;
  const path = join(dir, 'blob');
  writeFileSync(path, content);

  test('copies any range of the file, and refuses ranges outside it or the destination', () => {
    const m = mapFileReadOnly(path, content.length);
    expect(m).toBeDefined();
    const dst = Buffer.alloc(content.length).fill(0xee);
    m!.copy(dst, 100, 100, 9000);
    expect(dst.subarray(100, 9100).equals(content.subarray(100, 9100))).toBe(true);
    expect(dst[99]).toBe(0xee);
    expect(dst[9100]).toBe(0xee);
    const small = Buffer.alloc(10);
    m!.copy(small, 2, content.length - 8, 8);
    expect(small.subarray(2).equals(content.subarray(content.length - 8))).toBe(true);
    expect(() => m!.copy(small, 0, content.length - 8, 9)).toThrow(/range outside/);
    expect(() => m!.copy(small, 3, 0, 8)).toThrow(/range outside/);
    expect(() => m!.copy(small, 0, -1, 1)).toThrow(/range outside/);
    expect(() => m!.copy(small, 0, 0.5, 1)).toThrow(/range outside/);
    m!.close();
    expect(() => m!.copy(small, 0, 0, 1)).toThrow(/closed/);
    m!.close(); // idempotent
  });

  test('is undefined for a length other than the file size, a missing path, a directory and a FIFO', () => {
    expect(mapFileReadOnly(path, content.length + 1)).toBeUndefined();
    expect(mapFileReadOnly(path, content.length - 1)).toBeUndefined();
    expect(mapFileReadOnly(join(dir, 'missing'), 10)).toBeUndefined();
    expect(mapFileReadOnly(dir, statSync(dir).size)).toBeUndefined();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(mapFileReadOnly(fifo, 4096)).toBeUndefined(); // and returns: a FIFO is never opened for reading
  });

  test('PagedFile copies missing pages from the mapping: the same bytes as reading them', () => {
    const m = mapFileReadOnly(path, content.length)!;
    const data = Buffer.allocUnsafeSlow(content.length).fill(0xee);
    // A path that does not exist: every byte must come from the mapping.
    const f = new PagedFile(join(dir, 'not-read'), data, 0, m);
    f.fill(5000, 5001);
    expect(data.subarray(4096, 8192).equals(content.subarray(4096, 8192))).toBe(true);
    expect(data[0]).toBe(0xee);
    f.complete();
    expect(data.equals(content)).toBe(true);
    m.close();
  });

  const vmlinux = '/sys/kernel/btf/vmlinux';
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const [major, minor] = release.split('.').map(Number);
  const mappable = existsSync(vmlinux) && (major > 6 || (major === 6 && minor >= 16));
  (mappable ? test : test.skip)(`maps the kernel's BTF on Linux 6.16+ (here ${release}), byte for byte what read(2) gives`, () => {
    const bytes = readFileSync(vmlinux);
    const m = mapFileReadOnly(vmlinux, bytes.length);
    expect(m).toBeDefined();
    const copy = Buffer.alloc(bytes.length);
    m!.copy(copy, 0, 0, bytes.length);
    expect(copy.equals(bytes)).toBe(true);
    m!.close();
  });
});
