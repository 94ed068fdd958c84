import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PagedFile } from '../../../lib/btf/paged-file';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('PagedFile (random access, page by page)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paged-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = Buffer.alloc(5 * 4096 + 123);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 12)) & 0xff;
  const path = join(dir, 'blob');
  writeFileSync(path, content);

  const fresh = (prefix = 0): PagedFile => {
    const data = Buffer.allocUnsafeSlow(content.length).fill(0xee);
    content.copy(data, 0, 0, prefix);
    return new PagedFile(path, data, prefix);
  };

  it('reads only the pages a range touches', () => {
    const f = fresh();
    f.fill(5000, 5001);
    expect(f.data.subarray(4096, 8192).equals(content.subarray(4096, 8192))).toBe(true);
    expect(f.data[0]).toBe(0xee);
    expect(f.data[8192]).toBe(0xee);
    expect(f.realTo(4096)).toBe(8192);
    expect(f.realTo(5000)).toBe(8192);
    expect(f.realTo(0)).toBe(0);
    f.fill(8000, 4096 * 5 + 10); // runs of missing pages, up to the short last one
    expect(f.realTo(4096)).toBe(content.length);
    expect(f.data[0]).toBe(0xee);
    f.complete();
    expect(f.data.equals(content)).toBe(true);
  });

  it('trusts an already read prefix (whole pages only) and clamps ranges', () => {
    const f = fresh(4096 + 100);
    expect(f.realTo(0)).toBe(4096);
    f.fill(-5, 0);
    f.fill(content.length, content.length + 100);
    expect(f.realTo(4096)).toBe(4096);
    const r = f.range(4096, 4096 + 200);
    expect(r.realTo(4096)).toBe(4096);
    r.fill(0, 1 << 20); // clamped to the range: one page
    expect(r.realTo(4096)).toBe(4096 + 200);
    expect(f.realTo(4096)).toBe(8192);
    r.complete();
    expect(f.data.subarray(0, 8192).equals(content.subarray(0, 8192))).toBe(true);
  });

  it('closes its descriptor once the current job is done', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const before = openFds();
    const f = fresh();
    f.fill(0, 10);
    f.fill(3 * 4096, 3 * 4096 + 10);
    expect(openFds()).toBe(before + 1); // one open(2) for the burst
    // Closed before the next promise continuation, not only at the next tick: an async
    // caller that never yields to the event loop (a load on the calling thread) sees it closed.
    await Promise.resolve();
    expect(openFds()).toBe(before);
    f.fill(4 * 4096, 4 * 4096 + 1); // and reopens on demand
    await new Promise((resolve) => setImmediate(resolve));
    expect(openFds()).toBe(before);
    expect(f.data.subarray(4 * 4096, 5 * 4096).equals(content.subarray(4 * 4096, 5 * 4096))).toBe(true);
  });

  it('reports a file that got shorter as EIO', () => {
    const short = join(dir, 'short');
    writeFileSync(short, content);
    const f = new PagedFile(short, Buffer.allocUnsafeSlow(content.length), 0);
    truncateSync(short, 4096);
    f.fill(0, 10);
    expect(() => f.fill(2 * 4096, 2 * 4096 + 1)).toThrow(expect.objectContaining({ name: 'BpfError', code: 'EIO' }));
  });
});
