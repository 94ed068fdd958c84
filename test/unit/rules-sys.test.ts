/**
 * Rules of lib/sys that need no BPF kernel state (issue 14, rule deletion): finding and
 * loading the native addon (each case in a fresh module registry, since the addon is
 * loaded once per process), and the plain syscalls it wraps (close, pidfd_open,
 * perf_event_open) turning their errno into a BpfError. Plus the TCP congestion control
 * helpers (lib/net), which refuse sockets without a descriptor and impossible names.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCongestionControl, setCongestionControl } from '../../lib/net';
import { pidfdOpen, perfEventOpenTracepoint } from '../../lib/sys';
import { callRingAddon } from '../../lib/sys/map-ring';
import { sysClose } from '../../lib/sys/native';
import type { BpfError } from '../../lib/errors';
import { catchBpf } from '../helpers/errors';

type NativeModule = typeof import('../../lib/sys/native');
type PerfModule = typeof import('../../lib/sys/perf-event-open');

/**
 * The error `fn` throws, which must be a BpfError of the fresh module registry (a class of
 * its own, hence the name check instead of instanceof).
 */
function catchFresh(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    expect((e as Error).constructor.name).toBe('BpfError');
    return e as BpfError;
  }
  throw new Error('expected a BpfError');
}

/**
 * Runs `fn` with lib/sys/native.ts (and what imports it) loaded afresh, STRUCT_OPS_ADDON
 * set to `addon`; `before` runs first in the fresh registry (to mock a module).
 */
function withFreshAddon<T>(addon: string | undefined, fn: (native: NativeModule, perf: PerfModule) => T, before?: () => void): T {
  const saved = process.env.STRUCT_OPS_ADDON;
  if (addon === undefined) delete process.env.STRUCT_OPS_ADDON;
  else process.env.STRUCT_OPS_ADDON = addon;
  try {
    let out: T | undefined;
    jest.isolateModules(() => {
      before?.();
      out = fn(require('../../lib/sys/native') as NativeModule, require('../../lib/sys/perf-event-open') as PerfModule);
    });
    return out as T;
  } finally {
    if (saved === undefined) delete process.env.STRUCT_OPS_ADDON;
    else process.env.STRUCT_OPS_ADDON = saved;
  }
}

describe('loading the native addon', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rt3-addon-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('off Linux there is no bpf(): ENOSYS before any file is looked at', () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    try {
      const e = withFreshAddon(undefined, (native) => catchFresh(() => native.nativeAddon()));
      expect(e.code).toBe('ENOSYS');
      expect(e.message).toBe('struct-ops needs Linux: bpf() does not exist on darwin');
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });

  test('no candidate file exists: ENOSYS listing every path looked at', () => {
    const e = withFreshAddon(undefined, (native) => catchFresh(() => native.nativeAddon()), () => {
      jest.doMock('../../lib/sys/addon-path', () => ({
        addonCandidates: () => ['/nonexistent/rt3/a.node', '/nonexistent/rt3/b.node'],
        findAddon: () => undefined,
      }));
    });
    jest.dontMock('../../lib/sys/addon-path');
    expect(e.code).toBe('ENOSYS');
    expect(e.message).toBe(`no struct-ops native addon for linux-${process.arch}: looked for /nonexistent/rt3/a.node, /nonexistent/rt3/b.node`);
  });

  test('a file that is no loadable binary: ENOSYS with the loader\'s message', () => {
    const path = join(dir, 'broken.node');
    writeFileSync(path, 'not an ELF file');
    const e = withFreshAddon(path, (native) => catchFresh(() => native.nativeAddon()));
    expect(e.code).toBe('ENOSYS');
    expect(e.message).toMatch(new RegExp(`^cannot load native addon ${path}: `));
    expect((e.cause as Error).message).toContain('broken.node');
  });

  test('a module that loads but lacks the addon\'s functions is refused (ENOSYS)', () => {
    const path = join(dir, 'other.js');
    writeFileSync(path, 'module.exports = { bpf() { return 0; } };');
    const e = withFreshAddon(path, (native) => catchFresh(() => native.nativeAddon()));
    expect(e.code).toBe('ENOSYS');
    expect(e.message).toBe(`${path} is not the struct-ops addon`);
  });

  test('an addon without perf_event_open (built before tracepoint attach) refuses tracepoint events (ENOSYS)', () => {
    const path = join(dir, 'old.js');
    writeFileSync(path, 'const f = () => 0; module.exports = { bpf: f, bpfAsync: async () => 0, close: f, setsockopt: f, getsockopt: () => Buffer.alloc(0) };');
    const e = withFreshAddon(path, (native, perf) => {
      expect(typeof native.nativeAddon().bpf).toBe('function'); // it is the addon
      return catchFresh(() => perf.perfEventOpenTracepoint(1));
    });
    expect(e.code).toBe('ENOSYS');
    expect(e.message).toBe('the struct-ops native addon has no perf_event_open (it predates tracepoint attach)');
  });
});

describe('plain syscalls through the addon', () => {
  test('close() of a descriptor that is not open is EBADF', () => {
    const e = catchBpf(() => sysClose(987654));
    expect(e.code).toBe('EBADF');
    expect(e.message).toMatch(/^close\(987654\): /);
    // The addon names only bpf() with a command number: no "close(0)" inside.
    expect(e.message).toBe('close(987654): close: Bad file descriptor');
    expect(e.errno).toBe(9);
  });

  test('pidfd_open of a process that does not exist is ESRCH', () => {
    // pid_max is at most 2^22: this pid never exists.
    const e = catchBpf(() => pidfdOpen(0x7ffffff0));
    expect(e.code).toBe('ESRCH');
    expect(e.message).toMatch(/^pidfd_open\(2147483632\): /);
    expect(e.message).not.toMatch(/\(0\)/);
  });

  test('perf_event_open of an id that is no tracepoint is refused with a hint', () => {
    const e = catchBpf(() => perfEventOpenTracepoint(0x7ffffff0));
    expect(['ENOENT', 'EINVAL']).toContain(e.code);
    expect(e.message).toMatch(/^perf_event_open\(tracepoint 2147483632\): /);
    expect(e.hint).toMatch(/not a tracepoint of this kernel/);
  });
});

describe('TCP congestion control of a socket (lib/net)', () => {
  test('a socket that is not connected has no descriptor (EBADF)', () => {
    const socket = new Socket();
    for (const call of [() => getCongestionControl(socket), () => setCongestionControl(socket, 'cubic')]) {
      const e = catchBpf(call);
      expect(e.code).toBe('EBADF');
      expect(e.message).toBe('socket has no file descriptor yet; call this after "connect" (or on an accepted socket)');
    }
  });

  test('names must be 1-15 characters (TCP_CA_NAME_MAX), checked before the socket', () => {
    const socket = new Socket();
    for (const name of ['', 'a'.repeat(16)]) {
      expect(() => setCongestionControl(socket, name)).toThrow(RangeError);
      expect(() => setCongestionControl(socket, name)).toThrow(`Expected a congestion control name of 1-15 characters, got ${JSON.stringify(name)}`);
    }
    // 15 characters pass the name rule and reach the socket rule.
    expect(catchBpf(() => setCongestionControl(socket, 'a'.repeat(15))).code).toBe('EBADF');
  });
});

describe('callRingAddon (ring buffer and mmap calls)', () => {
  test('a plain error of the addon becomes a BpfError saying what failed, with its code and errno', () => {
    const e = catchBpf(() => callRingAddon('map m: mmap', () => {
      throw Object.assign(new Error('mmap failed'), { code: 'ENOMEM', errno: 12, detail: 'cannot map 4096 bytes' });
    }));
    expect(e.code).toBe('ENOMEM');
    expect(e.errno).toBe(12);
    expect(e.message).toBe('map m: mmap: cannot map 4096 bytes (ENOMEM)');
    const plain = catchBpf(() => callRingAddon('ring', () => { throw new Error('odd'); }));
    expect(plain.code).toBe('EINVAL');
    expect(plain.message).toBe('ring: odd');
  });
});

describe('hasEffectiveCapabilities (CapEff of /proc/self/status)', () => {
  test('agrees with the CapEff bits read here, bit by bit', () => {
    const { hasEffectiveCapabilities, CAP_BPF, CAP_SYS_ADMIN } = require('../../lib/sys') as typeof import('../../lib/sys');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(require('node:fs').readFileSync('/proc/self/status', 'latin1'))![1];
    const eff = BigInt(`0x${hex}`);
    for (const cap of [0, 12, 21, 24, 38, 39, 40, 63]) expect(hasEffectiveCapabilities(cap)).toBe(((eff >> BigInt(cap)) & 1n) === 1n);
    expect(hasEffectiveCapabilities(CAP_BPF, CAP_SYS_ADMIN)).toBe(((eff >> 39n) & 1n) === 1n && ((eff >> 21n) & 1n) === 1n);
    expect(hasEffectiveCapabilities()).toBe(true);
  });
});
