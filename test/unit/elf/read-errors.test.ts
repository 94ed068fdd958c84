/**
 * readObjectFile's errno reporting: a file that cannot be opened, and one whose read fails
 * after the open (an I/O error the disk reports; simulated, as no real file fails on demand).
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readObjectFile } from '../../../lib/elf';
import { catchBpf as thrown } from '../../helpers/errors';

// readSync passes through unless a test makes its next call fail.
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...real, readSync: jest.fn(real.readSync) };
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'struct-ops-read-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing file is ENOENT, with the path and a hint', () => {
  const path = join(dir, 'missing.bpf.o');
  const err = thrown(() => readObjectFile(path));
  expect(err).toMatchObject({ code: 'ENOENT', object: path, message: `${path}: cannot read object file: ENOENT` });
  expect(err.hint).toMatch(/check the path and that the file is readable/);
  expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  expect(thrown(() => readObjectFile(path, (code) => `no object (${code})`)).message).toBe('no object (ENOENT)');
});

test('a read that fails after the open keeps its errno', () => {
  const path = join(dir, 'eio.bpf.o');
  writeFileSync(path, Buffer.alloc(64, 1));
  const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5 });
  (fs.readSync as unknown as jest.Mock).mockImplementationOnce(() => {
    throw eio;
  });
  const err = thrown(() => readObjectFile(path));
  expect(err).toMatchObject({ code: 'EIO', object: path, message: `${path}: cannot read object file: EIO` });
  expect(err.cause).toBe(eio);
  // The next read is a real one again.
  expect(readObjectFile(path).equals(Buffer.alloc(64, 1))).toBe(true);
});
