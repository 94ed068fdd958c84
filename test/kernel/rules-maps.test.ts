/**
 * Rules of map access that the running kernel is needed for (issue 14, rule deletion):
 * each errno an element or batch call can get back is a BpfError naming the map, the
 * operation and the command; keys and values of the wrong shape are refused before the
 * syscall; ring buffers, user ring buffers, mmap and map handles refuse what they cannot do.
 * Also BpfLink's refusals (a link of another kind opened as a struct_ops link, a closed
 * link's fd), with program links of the s10a_tracing fixture (no struct_ops registration).
 *
 * s11_maps' struct_ops map is left out (autocreate false): nothing here is registered.
 */
import { readFileSync } from 'node:fs';
import { BpfError, BpfMap, openLinkById, openObject, type BpfObject } from '../../lib';
import { BpfMapType, mapCreate } from '../../lib/sys';
import { MapHandle } from '../../lib/sys/map-handle';
import { catchBpf } from '../helpers/errors';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

const BPF_NOEXIST = 1;

/** CPUs in /sys/devices/system/cpu/possible, parsed independently of the library. */
function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').reduce((n, part) => {
    const [lo, hi] = part.split('-').map(Number);
    return n + (hi === undefined ? 1 : hi - lo + 1);
  }, 0);
}

/** Asserts `e` is the BpfError of a failed element/batch call: code, command and "map M: what: ...". */
function expectSyscallError(e: BpfError, map: string, what: string, command: string, codes: string[]): void {
  expect(codes).toContain(e.code);
  expect(e.command).toBe(command);
  expect(e.map).toBe(map);
  expect(e.message).toBe(`map ${map}: ${what}: ${command}: ${e.code}`);
  expect(typeof e.errno).toBe('number');
}

describeKernel('rules of map access (s11_maps fixture)', () => {
  let obj: BpfObject;
  beforeAll(async () => {
    obj = await openObject(fixture('s11_maps'));
    for (const s of obj.structOps.values()) s.autocreate = false;
    await obj.load();
  });
  afterAll(() => obj?.close());
  const map = (name: string): BpfMap => obj.maps.get(name)!;

  test('a map left out of load() has no fd (EBADF), and the hint says why: autocreate false', () => {
    const left = [...obj.structOps.values()][0];
    const e = catchBpf(() => left.fd);
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe(`map ${left.name} is not loaded`);
    expect(e.hint).toMatch(/^load\(\) left it out: autocreate is false .*set map\.autocreate = true before load\(\)$/);
  });

  test('a map closed after load has no fd either, and the hint says it was closed', async () => {
    const other = await openObject(fixture('s11_maps'));
    try {
      for (const s of other.structOps.values()) s.autocreate = false;
      await other.load();
      const hash = other.maps.get('s11_flows')!;
      expect(hash.fd.raw).toBeGreaterThan(0);
      other.close();
      const e = catchBpf(() => hash.fd);
      expect(e.code).toBe('EBADF');
      expect(e.hint).toBe('the map was closed (obj.close() or map.close())');
    } finally {
      other.close();
    }
  });

  describe('errnos of element calls', () => {
    test('lookup of a ring buffer: the kernel has no element lookup there', () => {
      expectSyscallError(catchBpf(() => map('s11_events').lookup(0)), 's11_events', 'lookup', 'BPF_MAP_LOOKUP_ELEM', ['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL']);
    });

    test('update past the end of an array is E2BIG, and the array is unchanged', () => {
      const bss = map('.bss');
      const before = bss.lookup(0)!;
      expectSyscallError(catchBpf(() => bss.update(5, Buffer.alloc(bss.layout.valueBytes, 0xff))), '.bss', 'update', 'BPF_MAP_UPDATE_ELEM', ['E2BIG']);
      expect(bss.lookup(0)).toEqual(before);
    });

    test('delete from an array is EINVAL (array elements cannot be deleted), not "absent"', () => {
      expectSyscallError(catchBpf(() => map('.bss').delete(0)), '.bss', 'delete', 'BPF_MAP_DELETE_ELEM', ['EINVAL']);
    });

    test('pop from a bloom filter: the kernel has no lookup-and-delete there (peek of an empty one is "none")', () => {
      // The fixtures have no bloom filter: one made here, typed like s11_queue's u32 values.
      const fd = mapCreate({ mapType: BpfMapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8, mapName: 'rt3_bloom' });
      const bloom = new BpfMap({ ...map('s11_queue').spec, name: 'rt3_bloom', kernelName: 'rt3_bloom', type: BpfMapType.BLOOM_FILTER }, true, obj.spec.btf);
      bloom.setLoaded(fd);
      try {
        expect(bloom.peek()).toBeUndefined();
        expectSyscallError(catchBpf(() => bloom.pop()), 'rt3_bloom', 'pop', 'BPF_MAP_LOOKUP_AND_DELETE_ELEM', ['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL']);
      } finally {
        bloom.close();
      }
    });

    test('iterating the keys of a queue is EINVAL: a queue has no keys', () => {
      expectSyscallError(catchBpf(() => [...map('s11_queue').keys()]), 's11_queue', 'iterate', 'BPF_MAP_GET_NEXT_KEY', ['EINVAL']);
    });
  });

  test('a ring buffer reader asked to decode records of a map without object BTF: EINVAL, and no reader', () => {
    // A RINGBUF made by hand (as an inner map or one found by id would be) has no object BTF.
    const fd = mapCreate({ mapType: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, mapName: 'rt3_ring' });
    const ring = new BpfMap({ ...map('s11_events').spec, name: 'rt3_ring', kernelName: 'rt3_ring' }, true);
    ring.setLoaded(fd);
    try {
      const e = catchBpf(() => ring.ringBuffer({ type: 's11_event' }));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('map rt3_ring: no object BTF to decode records with');
      const raw = ring.ringBuffer();
      expect(raw.consume(() => undefined)).toBe(0);
      raw.close();
    } finally {
      ring.close();
    }
  });

  describe('errnos of batch calls', () => {
    test('batch lookup of a queue is refused (no batch support there)', () => {
      expectSyscallError(catchBpf(() => map('s11_queue').lookupBatch()), 's11_queue', 'batch lookup', 'BPF_MAP_LOOKUP_BATCH', ['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL']);
    });

    test('batch delete from an array is refused', () => {
      expectSyscallError(catchBpf(() => map('.bss').deleteBatch([0])), '.bss', 'batch delete', 'BPF_MAP_DELETE_BATCH', ['ENOTSUPP', 'EOPNOTSUPP', 'EINVAL']);
    });

    test('batch update of an array with BPF_NOEXIST is refused (every array element exists)', () => {
      const bss = map('.bss');
      const before = bss.lookup(0)!;
      const e = catchBpf(() => bss.updateBatch([[0, Buffer.alloc(bss.layout.valueBytes, 0xff)]], BPF_NOEXIST));
      expectSyscallError(e, '.bss', 'batch update', 'BPF_MAP_UPDATE_BATCH', ['EINVAL', 'EEXIST']);
      expect(bss.lookup(0)).toEqual(before);
    });
  });

  describe('keys and values of the wrong shape, refused before the syscall', () => {
    test('a per-CPU value array must hold one value per possible CPU', () => {
      const cpus = possibleCpus();
      const values = Array.from({ length: cpus + 1 }, (_, i) => i);
      expect(() => map('s11_pcpu').set(0, values)).toThrow(new RangeError(`Expected ${cpus} per-CPU values for map s11_pcpu, got ${cpus + 1}`));
      expect(map('s11_pcpu').getPerCpu(0)).toEqual(Array.from({ length: cpus }, () => expect.anything()));
    });

    test('a raw value must be the value size', () => {
      const key = Buffer.alloc(map('s11_flows').keySize);
      expect(() => map('s11_flows').set(key, Buffer.alloc(3))).toThrow(new RangeError('Expected map s11_flows value to be 32 bytes, got 3'));
      expect(map('s11_flows').lookup(key)).toBeUndefined();
    });

    test('a typed value needs the map\'s BTF value type (a map-in-map has none)', () => {
      const e = catchBpf(() => map('s11_dsqs').encodeValue({ a: 1 }));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('map s11_dsqs value: the map has no BTF value type; pass a Buffer');
    });

    test('a raw key must be the key size; a typed key needs a BTF key type', () => {
      expect(() => map('s11_flows').lookup(Buffer.alloc(1))).toThrow(new RangeError('Expected key of map s11_flows to be 8 bytes, got 1'));
      expect(() => map('.bss').lookup({ a: 1 })).toThrow(new TypeError('Expected a Buffer key for map .bss (key size 4)'));
    });
  });

  describe('ring buffers, mmap and handles', () => {
    test('a hash map cannot be mmapped', () => {
      const e = catchBpf(() => map('s11_flows').mmap());
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('map s11_flows (HASH) cannot be mmapped');
    });

    test('a ring buffer reader of a record type the object lacks is ENOENT', () => {
      const e = catchBpf(() => map('s11_events').ringBuffer({ type: 'struct rt3_nope' }));
      expect(e.code).toBe('ENOENT');
      expect(e.message).toBe('map s11_events: the object has no BTF type struct rt3_nope');
    });

    test('a user ring buffer: a typed record needs a type id; after close() nothing is submitted', () => {
      const ring = map('s11_cmds').userRingBuffer();
      const typed = catchBpf(() => ring.submit({ a: 1 }));
      expect(typed.code).toBe('EINVAL');
      expect(typed.message).toBe('map s11_cmds: a typed record needs a BTF type id');
      ring.close();
      const closed = catchBpf(() => ring.trySubmit(Buffer.alloc(8)));
      expect(closed.code).toBe('EBADF');
      expect(closed.message).toBe('map s11_cmds: user ring buffer is closed');
    });

    test('a closed map handle has no native handle to start a ring or mmap from (EBADF)', () => {
      const h = new MapHandle(map('.bss').fd);
      expect(h.native).toBeDefined();
      h.close();
      const e = catchBpf(() => h.native);
      expect(e.code).toBe('EBADF');
      expect(e.message).toBe('map handle is closed');
    });
  });
});

describeKernel('rules of links (s10a_tracing fixture)', () => {
  let obj: BpfObject;
  beforeAll(async () => {
    obj = await openObject(fixture('s10a_tracing'));
    obj.setGlobals('.rodata', { target_tgid: process.pid });
    await obj.load();
  });
  afterAll(() => obj?.close());

  test('a link of another kind opened by id as a struct_ops link is EINVAL, naming its kind', () => {
    const link = obj.programs.get('s10a_raw_tp')!.attach();
    try {
      const e = catchBpf(() => openLinkById(link.id));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(new RegExp(`^link id ${link.id} is a RAW_TRACEPOINT link, not a struct_ops link$`));
    } finally {
      link.close();
    }
  });

  test('a closed link has no fd (EBADF "the link is closed")', () => {
    const link = obj.programs.get('s10a_raw_tp')!.attach();
    link.close();
    const e = catchBpf(() => link.fd);
    expect(e.code).toBe('EBADF');
    expect(e.message).toBe('the link is closed');
  });
});
