/**
 * Rules of bpffs pin paths that need no BPF kernel state (issue 14, rule deletion): a file
 * on the way to a pin directory, a mount that fails or leaves no bpffs, and a path that
 * cannot be looked at. The mount and the permission failure are simulated (mount(8) and
 * stat(2) stubbed), so nothing is mounted and the tests need not run unprivileged.
 */
import type * as ChildProcess from 'node:child_process';
import type * as Fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBpffsDir, pinObject } from '../../lib/pin';
import { catchBpf } from '../helpers/errors';

// The modules' own objects (not an import namespace, whose properties cannot be stubbed):
// lib/pin reads statSync and execFileSync from them at each call.
const childProcess = require('node:child_process') as typeof ChildProcess;
const fs = require('node:fs') as typeof Fs;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'rt3-pin-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a regular file on the way to the pin directory is ENOTDIR, nothing is created', () => {
  const file = join(dir, 'file');
  fs.writeFileSync(file, 'x');
  const e = catchBpf(() => ensureBpffsDir(join(file, 'sub', 'pins')));
  expect(e.code).toBe('ENOTDIR');
  expect(e.message).toBe(`cannot use ${join(file, 'sub', 'pins')} for pins: ${file} is not a directory`);
  expect(fs.readFileSync(file, 'utf8')).toBe('x');
});

test('a failing mount is reported with its stderr (EIO as root, EPERM otherwise)', () => {
  const target = join(dir, 'pins');
  const mount = jest.spyOn(childProcess, 'execFileSync').mockImplementation(() => {
    throw Object.assign(new Error('mount failed'), { stderr: Buffer.from('mount: permission denied\n') });
  });
  const e = catchBpf(() => ensureBpffsDir(target));
  expect(mount).toHaveBeenCalledWith('mount', ['-t', 'bpf', 'bpf', target], expect.anything());
  expect(e.code).toBe(process.geteuid?.() === 0 ? 'EIO' : 'EPERM');
  expect(e.message).toBe(`cannot use ${target} for pins: mounting a BPF filesystem at ${target} failed: mount: permission denied`);
});

test('a mount that succeeds but leaves no bpffs there is EIO, not a pin directory', () => {
  const target = join(dir, 'pins');
  jest.spyOn(childProcess, 'execFileSync').mockImplementation(() => Buffer.alloc(0));
  const e = catchBpf(() => ensureBpffsDir(join(target, 'sub')));
  expect(e.code).toBe('EIO');
  expect(e.message).toBe(`cannot use ${join(target, 'sub')} for pins: ${join(target, 'sub')} is still not on a BPF filesystem after mount`);
});

test('a pin path that cannot be looked at is EACCES with a hint, not "absent"', () => {
  const path = join(dir, 'locked', 'pin');
  // Without the rule the path would count as absent and its directory get a bpffs mount:
  // mount(8) is stubbed so that this test never mounts anything.
  const mount = jest.spyOn(childProcess, 'execFileSync').mockImplementation(() => {
    throw new Error('mount stubbed');
  });
  const realStat = fs.statSync;
  jest.spyOn(fs, 'statSync').mockImplementation(((p: Fs.PathLike, o?: Fs.StatSyncOptions) => {
    if (String(p) === path) throw Object.assign(new Error(`EACCES: permission denied, stat '${path}'`), { code: 'EACCES' });
    return realStat(p, o);
  }) as typeof fs.statSync);
  const e = catchBpf(() => pinObject({ raw: -1 } as never, path));
  expect(e.code).toBe('EACCES');
  expect(e.message).toBe(`cannot access ${path}: EACCES (permission denied)`);
  expect(e.hint).toMatch(/run as root/);
  expect(mount).not.toHaveBeenCalled();
});
