/**
 * The pure side of lib/sys: attr encoding, Fd ownership, the verifier-log retry and the
 * argument checks of BPF_BTF_LOAD and BPF_LINK_CREATE. Each rule refuses its input before
 * any bpf(2) call, so none of these tests needs root or the kernel.
 */
import { closeSync, openSync } from 'node:fs';
import { BpfError } from '../../../lib/errors';
import { encodeAttr, rawFd, type AttrLayout } from '../../../lib/sys/attr';
import { btfLoad, btfLoadAsync } from '../../../lib/sys/btf-load';
import { BpfCmd } from '../../../lib/sys/constants';
import { Fd } from '../../../lib/sys/fd';
import { linkCreate } from '../../../lib/sys/link-create';
import { loadWithLog, loadWithLogAsync, type LoadAttempt, type LogRequest } from '../../../lib/sys/verifier-log';
import { catchBpf as thrown } from '../../helpers/errors';

interface Probe {
  count?: number;
  cookie?: bigint | number;
  target?: Fd | number;
  name?: string;
  path?: string;
  data?: Buffer;
}

// A made-up slice of union bpf_attr with one field of every input kind.
const probeLayout = {
  size: 40,
  fields: {
    count: { offset: 0, kind: 'u32' },
    cookie: { offset: 8, kind: 'u64' },
    target: { offset: 16, kind: 'fd' },
    name: { offset: 20, kind: 'objName' },
    path: { offset: 0, kind: 'str', buffer: 0 },
    data: { offset: 0, kind: 'ptr', buffer: 1 },
  },
} as unknown as AttrLayout<Probe>;

describe('encodeAttr checks each value against its field kind', () => {
  test('well-typed values are encoded', () => {
    const enc = encodeAttr(BpfCmd.PROG_LOAD, probeLayout, { count: 7, cookie: 1n << 40n, target: 3, name: 'n', path: '/x', data: Buffer.from([1]) });
    expect(enc.attr.readUInt32LE(0)).toBe(7);
    expect(enc.attr.readBigUInt64LE(8)).toBe(1n << 40n);
    expect(enc.attr.readUInt32LE(16)).toBe(3);
    expect(enc.buffers).toEqual([Buffer.from('/x\0'), Buffer.from([1])]);
  });

  test.each([
    ['count', -1, 'a u32 integer'],
    ['count', 2 ** 32, 'a u32 integer'],
    ['count', 1.5, 'a u32 integer'],
    ['count', 7n, 'a u32 integer'],
    ['cookie', -1n, 'a u64'],
    ['cookie', 1n << 64n, 'a u64'],
    ['cookie', 1.5, 'a u64'],
    ['target', '3', 'an Fd or fd number'],
    ['name', 42, 'a string'],
    ['path', 42, 'a string without NUL'],
    ['path', 'a\0b', 'a string without NUL'],
    ['data', 'bytes', 'a Buffer'],
  ])('%s = %p is EINVAL naming the command and the field', (field, value, what) => {
    const err = thrown(() => encodeAttr(BpfCmd.PROG_LOAD, probeLayout, { [field]: value } as Probe));
    expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_PROG_LOAD' });
    expect(err.message).toBe(`BPF_PROG_LOAD: expected "${field}" to be ${what}, got ${String(value)}`);
  });

  test.each([-1, 1.5, 0x8000_0000])('fd number %p is EBADF', (raw) => {
    expect(thrown(() => rawFd(raw))).toMatchObject({ code: 'EBADF', message: `invalid file descriptor ${raw}` });
    expect(thrown(() => encodeAttr(BpfCmd.PROG_LOAD, probeLayout, { target: raw }))).toMatchObject({ code: 'EBADF' });
  });
});

describe('Fd', () => {
  test.each([-1, 2.5, NaN])('a raw descriptor %p is EBADF', (raw) => {
    expect(thrown(() => new Fd(raw))).toMatchObject({ code: 'EBADF', message: `invalid file descriptor ${raw}` });
  });

  test('a closed Fd refuses its raw number (EBADF), also when encoded', () => {
    const fd = new Fd(openSync('/dev/null', 'r'));
    fd.close();
    expect(fd.closed).toBe(true);
    expect(thrown(() => fd.raw)).toMatchObject({ code: 'EBADF', message: 'file descriptor is closed' });
    expect(thrown(() => rawFd(fd))).toMatchObject({ code: 'EBADF' });
  });

  test('without the native addon, close() is ENOSYS (lib/sys/fd.ts alone)', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../../lib/sys/fd') as typeof import('../../../lib/sys/fd');
      // Our own descriptor: nothing else is closed whatever happens.
      const raw = openSync('/dev/null', 'r');
      let err: unknown;
      try {
        new isolated.Fd(raw).close();
      } catch (e) {
        err = e;
      } finally {
        closeSync(raw);
      }
      expect(err).toMatchObject({ code: 'ENOSYS', message: 'native addon not loaded' });
    });
  });
});

describe('loadWithLog gives up with the attempt error and the log', () => {
  const denied = new BpfError('BPF_PROG_LOAD: Permission denied', { code: 'EPERM', command: 'BPF_PROG_LOAD' });
  const rejected = new BpfError('BPF_PROG_LOAD: Invalid argument', { code: 'EINVAL', command: 'BPF_PROG_LOAD' });

  /** An attempt that fails with `error` (writing `log` into a log buffer) at most `limit` times. */
  function failing(error: BpfError, log: string, limit = 5): { attempt: (r: LogRequest | null) => LoadAttempt; logs: (LogRequest | null)[] } {
    const logs: (LogRequest | null)[] = [];
    return {
      logs,
      attempt: (r) => {
        logs.push(r);
        if (logs.length > limit) throw new Error('loadWithLog did not give up');
        r?.buf.write(`${log}\0`);
        return { error, trueSize: 0 };
      },
    };
  }

  test('EPERM: no retry, the error as it is', () => {
    const { attempt, logs } = failing(denied, '');
    expect(thrown(() => loadWithLog(BpfCmd.PROG_LOAD, 1, attempt))).toBe(denied);
    expect(logs).toEqual([null]);
  });

  test('a rejection is retried once with a log and reported with its last lines', () => {
    const { attempt, logs } = failing(rejected, '0: (b7) r0 = 0\nR1 invalid mem access\nprocessed 2 insns\n');
    const err = thrown(() => loadWithLog(BpfCmd.PROG_LOAD, 1, attempt));
    expect(logs).toHaveLength(2);
    expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_PROG_LOAD' });
    expect(err.message).toBe('BPF_PROG_LOAD: Invalid argument; verifier log ends with:\n  0: (b7) r0 = 0\n  R1 invalid mem access');
    expect(err.verifierLog).toMatch(/R1 invalid mem access/);
  });

  test('the async form gives up the same way', async () => {
    const { attempt, logs } = failing(rejected, 'bad insn\n');
    await expect(loadWithLogAsync(BpfCmd.PROG_LOAD, 1, async (r) => attempt(r))).rejects.toMatchObject({
      code: 'EINVAL', message: 'BPF_PROG_LOAD: Invalid argument; verifier log ends with:\n  bad insn',
    });
    expect(logs).toHaveLength(2);
    const perm = failing(denied, '');
    await expect(loadWithLogAsync(BpfCmd.PROG_LOAD, 1, async (r) => perm.attempt(r))).rejects.toBe(denied);
    expect(perm.logs).toEqual([null]);
  });
});

describe('argument checks before bpf(2)', () => {
  test('BPF_BTF_LOAD takes a Buffer', async () => {
    for (const btf of ['BTF', 42, undefined]) {
      expect(thrown(() => btfLoad(btf as unknown as Buffer))).toMatchObject({
        code: 'EINVAL', command: 'BPF_BTF_LOAD', message: 'BPF_BTF_LOAD: btf must be a Buffer',
      });
    }
    await expect(btfLoadAsync('BTF' as unknown as Buffer)).rejects.toMatchObject({ message: 'BPF_BTF_LOAD: btf must be a Buffer' });
  });

  test('BPF_LINK_CREATE takes exactly one of progFd and mapFd', () => {
    for (const attr of [{}, { progFd: 1000, mapFd: 1001 }]) {
      expect(thrown(() => linkCreate({ targetFd: 0, attachType: 0, ...attr }))).toMatchObject({
        code: 'EINVAL', command: 'BPF_LINK_CREATE', message: 'BPF_LINK_CREATE: give exactly one of progFd and mapFd',
      });
    }
  });
});
