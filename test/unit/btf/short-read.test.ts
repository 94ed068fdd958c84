/**
 * Readers of kernel BTF files stop with EIO when a read returns no bytes before the end of
 * the file (it shrank, or the source is broken). readSync is simulated returning 0, and it
 * fails loudly after many calls, so a reader that retried forever fails instead of hanging.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVmlinux } from '../../../lib/btf/kernel';
import { PagedFile } from '../../../lib/btf/paged-file';
import { synthetic } from './synthetic';
import { catchBpf as errorOf } from '../../helpers/errors';

jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...real, readSync: jest.fn(real.readSync) };
});
const readSync = fs.readSync as unknown as jest.Mock;
// The read(2) path, which kernels before 6.16 take: no file is mapped (a regular file would
// be, and its pages copied from the mapping instead of read).
jest.mock('../../../lib/sys', () => ({ ...jest.requireActual('../../../lib/sys'), mapFileReadOnly: () => undefined }));

/** From now on every read returns 0 bytes; the 1001st call throws a plain Error. */
function readsNothing(): void {
  let calls = 0;
  readSync.mockImplementation(() => {
    if (++calls > 1000) throw new Error('read retried forever');
    return 0;
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'btf-short-read-'));
});
afterEach(() => {
  readSync.mockImplementation(jest.requireActual<typeof import('node:fs')>('node:fs').readSync);
  rmSync(dir, { recursive: true, force: true });
});

test('PagedFile reports a read of 0 bytes as EIO at the page it wanted', () => {
  const path = join(dir, 'blob');
  writeFileSync(path, Buffer.alloc(3 * 4096, 7));
  const f = new PagedFile(path, Buffer.allocUnsafeSlow(3 * 4096), 0);
  f.fill(0, 10);
  readsNothing();
  expect(errorOf(() => f.fill(2 * 4096, 2 * 4096 + 1))).toMatchObject({
    code: 'EIO', offset: 2 * 4096, message: `kernel btf ${path}: unexpected end of file at ${2 * 4096}`,
  });
});

test('the progressive vmlinux reader reports a read of 0 bytes as EIO', () => {
  const syn = synthetic();
  const path = join(dir, 'vmlinux');
  writeFileSync(path, syn.blob);
  const btf = parseVmlinux(path);
  readsNothing();
  // The type section is read on first use, from its start (byte 24) on.
  expect(errorOf(() => btf.typeById(syn.typeCount - 1))).toMatchObject({
    code: 'EIO', offset: 24, message: expect.stringContaining(`kernel btf ${path}: unexpected end of file at 24`),
  });
});
