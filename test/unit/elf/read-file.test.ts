/**
 * readObjectFile's file rules: only a regular file is read (a device would stream without
 * end, a FIFO would block the open until a writer came), opened O_NONBLOCK, and nothing over
 * MAX_OBJECT_FILE. openObject goes through it, so it refuses the same files the same way.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObject } from '../../../lib';
import { MAX_OBJECT_FILE, readObjectFile } from '../../../lib/elf';
import { BpfError } from '../../../lib/errors';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'struct-ops-read-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let rescuer: ChildProcess | undefined;
afterEach(() => {
  rescuer?.kill('SIGKILL');
  rescuer = undefined;
});

/** Longest a refusal may take: it is decided from fstat, before any read. */
const QUICK_MS = 1_000;
/**
 * A FIFO without a writer. A blocking open of it would hang the test's own (synchronous)
 * thread, where no jest timeout can fire; so a child opens it read-write after a delay,
 * which releases such an open late, and the elapsed time then fails the test.
 */
const fifo = (): string => {
  const p = join(dir, 'fifo');
  rmSync(p, { force: true });
  execFileSync('mkfifo', [p]);
  rescuer = spawn('sh', ['-c', `sleep ${(2 * QUICK_MS) / 1000}; exec 3<>"$0"; sleep 5`, p], { stdio: 'ignore' });
  return p;
};
const directory = (): string => {
  const p = join(dir, 'a-directory.bpf.o');
  mkdirSync(p, { recursive: true });
  return p;
};
/** A sparse file one byte over the limit: no disk space, only its size is over. */
const oversize = (): string => {
  const p = join(dir, 'huge.bpf.o');
  closeSync(openSync(p, 'w'));
  truncateSync(p, MAX_OBJECT_FILE + 1);
  expect(statSync(p).size).toBe(MAX_OBJECT_FILE + 1);
  return p;
};

const cases: [string, () => string, string, RegExp][] = [
  ['/dev/zero (a character device)', () => '/dev/zero', 'EINVAL', /is not a regular file/],
  ['a FIFO without a writer', fifo, 'EINVAL', /is not a regular file/],
  ['a directory', directory, 'EINVAL', /is not a regular file/],
  ['a sparse file one byte over MAX_OBJECT_FILE', oversize, 'EFBIG', new RegExp(`is ${MAX_OBJECT_FILE + 1} bytes, over the ${MAX_OBJECT_FILE}-byte limit`)],
];

/** The error `fn` throws (the test fails if it returns). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe.each(cases)('%s', (_what, make, code, message) => {
  test('readObjectFile refuses it with a BpfError', async () => {
    const path = make();
    const started = Date.now();
    const err = await thrown(() => readObjectFile(path));
    expect(Date.now() - started).toBeLessThan(QUICK_MS);
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).code).toBe(code);
    expect((err as BpfError).message).toMatch(message);
    expect((err as BpfError).object).toBe(path);
  }, 5_000);

  test('openObject refuses it the same way', async () => {
    const path = make();
    const started = Date.now();
    const err = await thrown(() => openObject(path));
    expect(Date.now() - started).toBeLessThan(QUICK_MS);
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).code).toBe(code);
    expect((err as BpfError).message).toMatch(message);
  }, 5_000);
});

test('the refusal names what would be accepted', async () => {
  const err = await thrown(() => readObjectFile('/dev/zero'));
  expect((err as BpfError).hint).toMatch(/pass a \.bpf\.o file/);
});
