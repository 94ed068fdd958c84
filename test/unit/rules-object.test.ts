/**
 * Rules of an object's life cycle that need no kernel (issue 14, rule deletion): what an
 * object refuses once closed, what its maps, programs and struct_ops values refuse before
 * load, the test-run options refused before the syscall, and the data-section resize plan.
 * Messages are compared in full: where two rules guard the same call (the object's state
 * check before a map's own), only the object's message tells which one spoke.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, BtfBuilder, BtfKind } from '../../lib/btf';
import { openObject, type BpfObject } from '../../lib/object';
import { planDataResize } from '../../lib/object/data-resize';
import type { ExternSpec } from '../../lib/object/spec';
import { testRunProgram } from '../../lib/object/test-run';
import { tracepointId } from '../../lib/object/tracepoint';
import type { Fd } from '../../lib/sys';
import { catchBpf } from '../helpers/errors';
import { fixture } from '../helpers/fixtures';
import { rawBtf } from './btf/raw';

/** A program fd that no test reaches: every rule below throws before the syscall. */
const NO_FD = { raw: -1, closed: false } as unknown as Fd;

async function closedObject(name: string): Promise<BpfObject> {
  const obj = await openObject(fixture(name));
  obj.close();
  return obj;
}

async function catchBpfAsync(fn: () => Promise<unknown>): Promise<ReturnType<typeof catchBpf>> {
  let thrown: unknown;
  await fn().then(() => undefined, (e: unknown) => { thrown = e; });
  return catchBpf(() => { if (thrown !== undefined) throw thrown; });
}

describe('a closed object', () => {
  test('load() is refused (EBUSY): an object loads once, after open', async () => {
    const obj = await closedObject('s10a_resize');
    const e = await catchBpfAsync(() => obj.load());
    expect(e.code).toBe('EBUSY');
    expect(e.message).toBe('object s10a_resize is closed; load() runs once after open');
    expect(obj.loaded).toBe(false);
  });

  test('planLoad() is refused (EBADF)', async () => {
    const obj = await closedObject('s10a_resize');
    const e = catchBpf(() => obj.planLoad());
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe('object s10a_resize is closed');
  });

  test('readGlobals() of a data section and of the __arena globals is refused (EBADF)', async () => {
    const resize = await closedObject('s10a_resize');
    const e = catchBpf(() => resize.readGlobals('.data.s10a_words'));
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe('object s10a_resize is closed');
    const arena = await closedObject('s11arena');
    const a = catchBpf(() => arena.readGlobals('.addr_space.1'));
    expect(a.code).toBe('EBADF');
    expect(a.message).toBe('object s11arena is closed');
  });

  test('setGlobals() and resizeGlobals() are refused with the object\'s own message, the data stays', async () => {
    const obj = await closedObject('s10a_resize');
    const before = Buffer.from(obj.maps.get('.data.s10a_words')!.initialData!);
    const set = catchBpf(() => obj.setGlobals('.data.s10a_words', { s10a_words: 1 }));
    expect(set.code).toBe('EBUSY');
    expect(set.message).toBe('object s10a_resize: globals can only be set before load()');
    const resize = catchBpf(() => obj.resizeGlobals('.data.s10a_words', 32));
    expect(resize.code).toBe('EBUSY');
    expect(resize.message).toBe('object s10a_resize: data sections can only be resized before load()');
    const map = obj.maps.get('.data.s10a_words')!;
    expect(map.valueSize).toBe(16);
    expect(map.initialData).toEqual(before);
  });
});

describe('resizeGlobals on what is no data section', () => {
  test('an unknown section and a map that holds no globals are ENOENT, named as sections', async () => {
    const obj = await openObject(fixture('s10a_resize'));
    for (const section of ['.data.nope', 's10a_resize']) {
      const e = catchBpf(() => obj.resizeGlobals(section, 64));
      expect(e.code).toBe('ENOENT');
      expect(e.message).toBe(`object s10a_resize has no global data section ${section}`);
    }
  });
});

describe('before load', () => {
  test('a map has no fd (EBADF), and per-CPU reads are refused on a map that is not per-CPU', async () => {
    const obj = await openObject(fixture('s10a_resize'));
    const map = obj.maps.get('.data.s10a_words')!;
    const fd = catchBpf(() => map.fd);
    expect(fd.code).toBe('EBADF');
    expect(fd.message).toBe('map .data.s10a_words is not loaded');
    expect(fd.hint).toBe('call obj.load() first');
    const pc = catchBpf(() => map.getPerCpu(0));
    expect(pc.code).toBe('EINVAL');
    expect(pc.message).toBe('map .data.s10a_words (ARRAY) is not per-CPU');
  });

  test('a program has no fd (EBADF)', async () => {
    const obj = await openObject(fixture('s10a_resize'));
    const e = catchBpf(() => obj.programs.get('resize_test_2')!.fd);
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe('program resize_test_2 is not loaded');
  });

  test('a struct_ops map has no kernel value yet (EBADF)', async () => {
    const obj = await openObject(fixture('s10a_resize'));
    const e = catchBpf(() => obj.structOps.get('s10a_resize')!.kernelValue);
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe('struct_ops s10a_resize is not loaded');
  });
});

describe('testRun options refused before the syscall', () => {
  test('ctxIn is a Buffer or an array; a string or an object is EINVAL', () => {
    for (const ctxIn of ['abc', { a: 1 }, 5]) {
      const e = catchBpf(() => testRunProgram(NO_FD, 0, 'p', { ctxIn } as never));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('program p: testRun ctxIn must be a Buffer or an array of arguments');
    }
  });
});

describe('planDataResize', () => {
  test('a section whose DATASEC has no variables cannot be resized (ENOENT)', () => {
    const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
    b.addType({ kind: BtfKind.DATASEC, nameOff: 0, name: '.data.empty', size: 0, vars: [] });
    const btf = Btf.parse(b.encode());
    for (const section of ['.data.empty', '.data.absent']) {
      const e = catchBpf(() => planDataResize(btf, section, 64, 'o'));
      expect(e.code).toBe('ENOENT');
      expect(e.message).toBe(`${section} has no BTF variables to resize`);
    }
  });
});

describe('tracepointId', () => {
  test('an id file that cannot be read (a directory) is that read error, naming the path', () => {
    const root = mkdtempSync(join(tmpdir(), 'rt3-tp-'));
    try {
      const id = join(root, 'events', 'cat', 'name', 'id');
      mkdirSync(id, { recursive: true });
      const e = catchBpf(() => tracepointId('cat/name', 'p', [root]));
      expect(e.code).toBe('EISDIR');
      expect(e.message).toMatch(new RegExp(`^program p: cannot read ${id}: EISDIR`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('buildKconfigValue (the .kconfig value load() writes)', () => {
  type Kconfig = typeof import('../../lib/object/load/kconfig');
  const CONFIG = ['CONFIG_RT3_NUM=300', 'CONFIG_RT3_STR="text"', 'CONFIG_RT3_Y=y', ''].join('\n');

  /**
   * A fresh kconfig module whose kernel config is `boot` (a stubbed /boot/config-<release>,
   * CONFIG by default) or `proc` (the bytes of a stubbed /proc/config.gz).
   */
  function freshKconfig(config: { boot?: string; proc?: Buffer } = { boot: CONFIG }): Kconfig {
    let mod: Kconfig | undefined;
    jest.isolateModules(() => {
      const realFs = jest.requireActual('node:fs') as typeof import('node:fs');
      const boot = `/boot/config-${release()}`;
      const stubbed = (p: string): boolean => (p === '/proc/config.gz' ? config.proc !== undefined : p === boot && config.boot !== undefined);
      jest.doMock('node:fs', () => ({
        ...realFs,
        existsSync: (p: string) => (p === '/proc/config.gz' || p === boot ? stubbed(p) : realFs.existsSync(p)),
        readFileSync: (p: string, o?: unknown) =>
          (p === boot && config.boot !== undefined ? config.boot : p === '/proc/config.gz' && config.proc ? config.proc : realFs.readFileSync(p, o as never)),
      }));
      mod = require('../../lib/object/load/kconfig') as Kconfig;
    });
    return mod!;
  }

  test('kernelConfigValue: the value after NAME= on its own line, first and last lines included', () => {
    const text = ['CONFIG_FIRST=1', '# CONFIG_OFF is not set', 'CONFIG_RT3=short', 'CONFIG_RT3_LONG=long',
      'CONFIG_EQ="a=b"', 'XCONFIG_RT3=no', '  CONFIG_INDENTED=no', 'CONFIG_LAST=9'].join('\n');
    const { kernelConfigValue } = freshKconfig({ boot: text });
    expect(kernelConfigValue('CONFIG_FIRST')).toBe('1');
    expect(kernelConfigValue('CONFIG_RT3')).toBe('short');
    expect(kernelConfigValue('CONFIG_RT3_LONG')).toBe('long');
    expect(kernelConfigValue('CONFIG_EQ')).toBe('"a=b"');
    expect(kernelConfigValue('CONFIG_LAST')).toBe('9');
    // Not set, only inside another name or line, or not a CONFIG_ name at all.
    for (const name of ['CONFIG_OFF', 'CONFIG_RT', 'CONFIG_INDENTED', 'CONFIG_ABSENT', 'XCONFIG_RT3', 'CONFIG_RT3=short\nCONFIG_RT3_LONG']) {
      expect([name, kernelConfigValue(name)]).toEqual([name, undefined]);
    }
    // No config at all: every option is unset.
    expect(freshKconfig({}).kernelConfigValue('CONFIG_FIRST')).toBeUndefined();
  });

  test('/proc/config.gz is inflated by the addon; a corrupt one is a BpfError naming it', () => {
    const { gzipSync } = jest.requireActual('node:zlib') as typeof import('node:zlib');
    const gz = gzipSync(Buffer.from(CONFIG));
    expect(freshKconfig({ proc: gz, boot: 'CONFIG_RT3_NUM=1' }).kernelConfigValue('CONFIG_RT3_NUM')).toBe('300');
    const cut = freshKconfig({ proc: gz.subarray(0, gz.length - 4) });
    const e = refusal(() => cut.buildKconfigValue(btf, [ext('CONFIG_RT3_NUM', 4, 4)], 4, 'obj.bpf.o'));
    expect(e).toMatchObject({ code: 'EIO', object: 'obj.bpf.o' });
    expect(e.message).toBe("cannot read the running kernel's config /proc/config.gz: gunzip: truncated gzip data");
    // Bounded memory: a "config" of over 16 MiB is not one.
    const huge = freshKconfig({ proc: gzipSync(Buffer.alloc((16 << 20) + 1, 'y')) });
    expect(refusal(() => huge.kernelConfigValue('CONFIG_RT3_NUM')).message)
      .toBe("cannot read the running kernel's config /proc/config.gz: gunzip: inflates to more than 16777216 bytes");
  });

  /** int (1), unsigned char (2), int * (3), and a VAR of each (4, 5, 6). */
  const btf = (() => {
    const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
    b.addType({ kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 });
    b.addType({ kind: BtfKind.INT, nameOff: 0, name: 'unsigned char', size: 1, encoding: 0, bitOffset: 0, bits: 8 });
    b.addType({ kind: BtfKind.PTR, nameOff: 0, name: '', type: 1 });
    b.addType({ kind: BtfKind.VAR, nameOff: 0, name: 'v_int', type: 1, linkage: 2 });
    b.addType({ kind: BtfKind.VAR, nameOff: 0, name: 'v_u8', type: 2, linkage: 2 });
    b.addType({ kind: BtfKind.VAR, nameOff: 0, name: 'v_ptr', type: 3, linkage: 2 });
    return Btf.parse(b.encode());
  })();
  const ext = (name: string, btfId: number, size: number, weak = false): ExternSpec =>
    ({ name, kind: 'kconfig', weak, btfId, offset: 0, size });
  const refusal = (fn: () => unknown): { code?: string; message: string } => {
    try {
      fn();
    } catch (e) {
      expect((e as Error).constructor.name).toBe('BpfError');
      return e as { code?: string; message: string };
    }
    throw new Error('expected a BpfError');
  };

  test('a value that fits is written; a missing extern is ENOENT unless __weak', () => {
    const { buildKconfigValue } = freshKconfig();
    expect(buildKconfigValue(btf, [ext('CONFIG_RT3_NUM', 4, 4)], 4, 'o').readInt32LE(0)).toBe(300);
    expect(buildKconfigValue(btf, [ext('CONFIG_RT3_ABSENT', 4, 4, true)], 4, 'o')).toEqual(Buffer.alloc(4));
    const e = refusal(() => buildKconfigValue(btf, [ext('CONFIG_RT3_ABSENT', 4, 4)], 4, 'o'));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe("kconfig extern CONFIG_RT3_ABSENT has no value in the running kernel's config");
  });

  test('a number for a pointer, text for an int and a number too large for its bytes are refused', () => {
    const { buildKconfigValue } = freshKconfig();
    expect(refusal(() => buildKconfigValue(btf, [ext('CONFIG_RT3_NUM', 6, 8)], 8, 'o')).message)
      .toBe('kconfig extern CONFIG_RT3_NUM=300: unsupported C type');
    expect(refusal(() => buildKconfigValue(btf, [ext('CONFIG_RT3_STR', 4, 4)], 4, 'o')).message)
      .toBe('kconfig extern CONFIG_RT3_STR="text": not a number');
    expect(refusal(() => buildKconfigValue(btf, [ext('CONFIG_RT3_NUM', 5, 1)], 1, 'o')).message)
      .toBe('kconfig extern CONFIG_RT3_NUM=300: does not fit in 1 bytes');
    // y/m/n are tristates whatever the type.
    expect(buildKconfigValue(btf, [ext('CONFIG_RT3_Y', 5, 1)], 1, 'o')[0]).toBe(1);
  });
});

describe('requireArena (the load-time gate of ARENA maps)', () => {
  type Arena = typeof import('../../lib/kernel/arena');
  /** lib/kernel/arena.ts afresh, its probe's map create answering `code` (a kernel without arenas: EINVAL). */
  /** lib/kernel/arena with mapCreate failing with `code`; `caps`: what hasEffectiveCapabilities answers. */
  function arenaWithCreateError(code: string, caps: boolean | undefined = false): Arena {
    let mod: Arena | undefined;
    jest.isolateModules(() => {
      const actual = jest.requireActual('../../lib/sys') as typeof import('../../lib/sys');
      const { BpfError: FreshBpfError } = require('../../lib/errors') as typeof import('../../lib/errors');
      jest.doMock('../../lib/sys', () => ({
        ...actual,
        mapCreate: () => { throw new FreshBpfError(`BPF_MAP_CREATE: ${code}`, { code, command: 'BPF_MAP_CREATE' }); },
        hasEffectiveCapabilities: () => caps,
      }));
      mod = require('../../lib/kernel/arena') as Arena;
    });
    return mod!;
  }

  test('a kernel that refuses ARENA maps gets EOPNOTSUPP naming the map and object, with the hint', () => {
    const { requireArena, ARENA_HINT } = arenaWithCreateError('EINVAL');
    let thrown: { code?: string; message: string; hint?: string; map?: string; object?: string } | undefined;
    try {
      requireArena('rt3_arena', 'rt3.bpf.o');
    } catch (e) {
      thrown = e as typeof thrown;
    }
    expect(thrown).toBeDefined();
    expect(thrown!.code).toBe('EOPNOTSUPP');
    expect(thrown!.message).toMatch(/^map rt3_arena: BPF arenas need Linux 6\.9 or newer \(running /);
    expect(thrown!).toMatchObject({ map: 'rt3_arena', object: 'rt3.bpf.o', hint: ARENA_HINT });
  });

  test('when the probe cannot tell (EPERM without CAP_BPF and CAP_SYS_ADMIN, or unknown), the gate lets the load go on', () => {
    expect(() => arenaWithCreateError('EPERM', false).requireArena('rt3_arena')).not.toThrow();
    expect(() => arenaWithCreateError('EPERM', undefined).requireArena('rt3_arena')).not.toThrow();
  });

  test('EPERM although the process has both capabilities: a policy refuses arenas (arenaRefused)', () => {
    const { requireArena, ARENA_REFUSED_HINT } = arenaWithCreateError('EPERM', true);
    let thrown: { code?: string; message: string; hint?: string; map?: string; object?: string } | undefined;
    try {
      requireArena('rt3_arena', 'rt3.bpf.o');
    } catch (e) {
      thrown = e as typeof thrown;
    }
    expect(thrown).toMatchObject({
      code: 'EPERM', map: 'rt3_arena', object: 'rt3.bpf.o', hint: ARENA_REFUSED_HINT,
      message: 'map rt3_arena: the kernel refused to create a BPF arena (EPERM) although this process has CAP_BPF and CAP_SYS_ADMIN',
    });
  });
});
