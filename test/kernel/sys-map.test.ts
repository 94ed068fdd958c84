import { execFileSync } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';
import {
  BPF_NOEXIST,
  BpfMapType,
  Fd,
  mapCreate,
  mapDeleteElem,
  mapFreeze,
  mapGetFdById,
  mapGetInfo,
  mapGetNextId,
  mapGetNextKey,
  mapLookupElem,
  mapUpdateElem,
  objGet,
  objPin,
} from '../../lib/sys';
import { describeKernel, trackFds } from '../helpers/kernel';
import { catchBpf } from '../helpers/errors';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};


describeKernel('lib/sys maps', () => {
  const fds = trackFds();
  const track = (fd: Fd): Fd => {
    fds.push(fd);
    return fd;
  };

  test('array map: create, info, update, lookup, next key', () => {
    const map = track(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, mapName: 'sys_test_arr' }));
    const info = mapGetInfo(map);
    expect(info).toMatchObject({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, mapFlags: 0, name: 'sys_test_arr' });
    expect(info.id).toBeGreaterThan(0);
    expect(info.mapExtra).toBe(0n);

    const value = Buffer.from('0102030405060708', 'hex');
    mapUpdateElem(map, u32(1), value);
    const out = Buffer.alloc(8, 0xff);
    mapLookupElem(map, u32(1), out);
    expect(out).toEqual(value);
    mapLookupElem(map, u32(0), out);
    expect(out).toEqual(Buffer.alloc(8));

    const keys: number[] = [];
    const next = Buffer.alloc(4);
    let cur: Buffer | null = null;
    while (mapGetNextKey(map, cur, next)) {
      keys.push(next.readUInt32LE());
      cur = Buffer.from(next);
    }
    expect(keys).toEqual([0, 1, 2]);

    // Arrays have no deletable elements; out-of-range keys are E2BIG/ENOENT from the kernel.
    expect(catchBpf(() => mapDeleteElem(map, u32(1))).code).toBe('EINVAL');
    const missing = catchBpf(() => mapLookupElem(map, u32(7), out));
    expect(missing).toMatchObject({ code: 'ENOENT', errno: 2, command: 'BPF_MAP_LOOKUP_ELEM', syscall: 'bpf' });
  });

  test('hash map: NOEXIST, delete, ENOENT afterwards', () => {
    const map = track(mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 }));
    mapUpdateElem(map, u32(5), u32(50), BPF_NOEXIST);
    expect(catchBpf(() => mapUpdateElem(map, u32(5), u32(51), BPF_NOEXIST)).code).toBe('EEXIST');
    const out = Buffer.alloc(4);
    mapLookupElem(map, u32(5), out);
    expect(out.readUInt32LE()).toBe(50);
    mapDeleteElem(map, u32(5));
    expect(catchBpf(() => mapLookupElem(map, u32(5), out)).code).toBe('ENOENT');
    expect(catchBpf(() => mapDeleteElem(map, u32(5))).code).toBe('ENOENT');
    expect(mapGetNextKey(map, null, Buffer.alloc(4))).toBe(false);
  });

  test('freeze makes user-space updates fail with EPERM', () => {
    const map = track(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
    mapUpdateElem(map, u32(0), u32(7));
    mapFreeze(map);
    const err = catchBpf(() => mapUpdateElem(map, u32(0), u32(8)));
    expect(err).toMatchObject({ code: 'EPERM', command: 'BPF_MAP_UPDATE_ELEM' });
    const out = Buffer.alloc(4);
    mapLookupElem(map, u32(0), out);
    expect(out.readUInt32LE()).toBe(7);
  });

  test('per-CPU values are round_up(value_size, 8) x possible CPUs', () => {
    const cpus = readFileSync('/sys/devices/system/cpu/possible', 'utf8')
      .trim()
      .split(',')
      .reduce((n, r) => {
        const [lo, hi] = r.split('-').map(Number);
        return n + (hi === undefined ? 1 : hi - lo + 1);
      }, 0);
    const map = track(mapCreate({ mapType: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
    const value = Buffer.alloc(8 * cpus);
    for (let c = 0; c < cpus; c++) value.writeUInt32LE(100 + c, c * 8);
    mapUpdateElem(map, u32(0), value);
    const out = Buffer.alloc(8 * cpus);
    mapLookupElem(map, u32(0), out);
    expect(out).toEqual(value);
    // One CPU's worth is what a naive caller would pass: refused before the syscall.
    const short = catchBpf(() => mapLookupElem(map, u32(0), Buffer.alloc(4)));
    expect(short.code).toBe('EINVAL');
    expect(short.message).toMatch(/refused before the syscall.*kernel would write/);
  });

  test('get-next-id and get-fd-by-id find our map', () => {
    const map = track(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, mapName: 'sys_test_ids' }));
    const { id } = mapGetInfo(map);
    const ids: number[] = [];
    for (let cur = mapGetNextId(0); cur !== null; cur = mapGetNextId(cur)) ids.push(cur);
    expect(ids).toContain(id);
    expect(mapGetNextId(Math.max(...ids))).toBeNull();
    const again = mapGetFdById(id);
    try {
      expect(again.raw).not.toBe(map.raw);
      expect(mapGetInfo(again)).toMatchObject({ id, name: 'sys_test_ids' });
    } finally {
      again.close();
    }
    expect(catchBpf(() => mapGetFdById(0x7fff_fff0)).code).toBe('ENOENT');
  });

  describe('pinning in /sys/fs/bpf', () => {
    let mountedHere = false;
    beforeAll(() => {
      const mounts = readFileSync('/proc/self/mounts', 'utf8');
      if (!/ \/sys\/fs\/bpf bpf /.test(mounts)) {
        execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
        mountedHere = true;
      }
    });
    afterAll(() => {
      if (mountedHere) execFileSync('umount', ['/sys/fs/bpf']);
    });

    test('pin, get by path, EEXIST, unpin', () => {
      const path = `/sys/fs/bpf/struct_ops_sys_test_${process.pid}`;
      const map = track(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
      objPin(map, path);
      try {
        const err = catchBpf(() => objPin(map, path));
        expect(err).toMatchObject({ code: 'EEXIST', command: 'BPF_OBJ_PIN' });
        const got = objGet(path);
        try {
          expect(mapGetInfo(got).id).toBe(mapGetInfo(map).id);
        } finally {
          got.close();
        }
      } finally {
        unlinkSync(path);
      }
      expect(catchBpf(() => objGet(path))).toMatchObject({ code: 'ENOENT', command: 'BPF_OBJ_GET' });
    });
  });
});
