import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BpfObject, openObject, setCongestionControl } from '../../lib';
import {
  Fd, btfGetNextId, linkGetFdById, linkGetInfo, linkGetNextId, mapGetFdById, mapGetInfo, mapGetNextId,
  progGetFdById, progGetInfo, progGetNextId,
} from '../../lib/sys';
import { loopbackTraffic } from '../../lib/demo/traffic';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';

// CI runs a short soak; `npm run soak` sets SOAK_CYCLES=1000 SOAK_ROUNDS=10.
const CYCLES = Number(process.env.SOAK_CYCLES ?? 150);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 3);

interface Snapshot {
  fds: number;
  maps: number;
  progs: number;
  links: number;
  btfs: number;
  rssMiB: number;
  heapMiB: number;
}

// A full GC before each reading, so the heap figure is what is still referenced.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Counts kernel objects by id enumeration; `mine` filters out other processes' objects. */
function countIds(next: (id: number) => number | null, mine: (id: number) => boolean = () => true): number {
  let n = 0;
  for (let id = next(0); id !== null; id = next(id)) {
    try {
      if (mine(id)) n++;
    } catch {
      // freed between the two calls
    }
  }
  return n;
}

function infoOf<T>(open: (id: number) => Fd, get: (fd: Fd) => T): (id: number) => T {
  return (id) => {
    const fd = open(id);
    try {
      return get(fd);
    } finally {
      fd.close();
    }
  };
}

const mapName = infoOf(mapGetFdById, (fd) => mapGetInfo(fd).name);
const progName = infoOf(progGetFdById, (fd) => progGetInfo(fd).name);
const linkMapId = infoOf(linkGetFdById, (fd) => linkGetInfo(fd).structOpsMapId);
/** The cubic fixture's maps are cubic.* / cubic_* / cu_*, its programs cu_*. */
const isCubicMap = (id: number): boolean => /^(cubic|cu_)/.test(mapName(id));

function snapshot(): Snapshot {
  gc();
  gc();
  const mem = process.memoryUsage();
  return {
    fds: openFdCount(),
    maps: countIds(mapGetNextId, isCubicMap),
    progs: countIds(progGetNextId, (id) => progName(id).startsWith('cu_')),
    links: countIds(linkGetNextId, (id) => { const m = linkMapId(id); return m !== undefined && m !== 0 && isCubicMap(m); }),
    btfs: countIds(btfGetNextId),
    rssMiB: Math.round(mem.rss / (1 << 20)),
    heapMiB: Math.round((mem.heapUsed + mem.arrayBuffers) / (1 << 20)),
  };
}

/** No fd leaked and no kernel object left behind (other processes' may come and go). */
function expectFlat(start: Snapshot, end: Snapshot): void {
  expect(end.fds).toBe(start.fds);
  expect(end.heapMiB - start.heapMiB).toBeLessThan(8);
  for (const k of ['maps', 'progs', 'links', 'btfs'] as const) expect({ [k]: end[k] }).toEqual({ [k]: Math.min(end[k], start[k]) });
}

function table(title: string, start: Snapshot, end: Snapshot): string {
  const rows = (Object.keys(start) as (keyof Snapshot)[]).map(
    (k) => `| ${k.padEnd(7)} | ${String(start[k]).padStart(6)} | ${String(end[k]).padStart(6)} |`);
  return [title, '| what    |  start |    end |', '|---------|--------|--------|', ...rows].join('\n');
}

/**
 * Kernel objects are freed asynchronously (after an RCU grace period); wait until the
 * counts are at or below `bound` (or, without one, stop changing).
 */
async function settled(bound?: Snapshot): Promise<Snapshot> {
  let s = snapshot();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const t = snapshot();
    const done = bound
      ? t.maps <= bound.maps && t.progs <= bound.progs && t.links <= bound.links && t.btfs <= bound.btfs
      : t.maps === s.maps && t.progs === s.progs && t.links === s.links && t.btfs === s.btfs;
    s = t;
    if (done && i >= 2) break;
  }
  return s;
}

describeKernel('leak and churn soak', () => {
  test(`${CYCLES} open/load/attach/close cycles leave fds, kernel objects and RSS flat`, async () => {
    // Warm up first so lazily built caches (kernel BTF index, JIT code) and the allocator's
    // working set are not counted as growth.
    const cycle = async (): Promise<void> => {
      const obj = await openObject(fixture('cubic'));
      // Names of our own, so nothing else registering the cubic fixture can collide.
      obj.structOps.get('cubic_link')!.value.name = 'so_soak_lnk';
      obj.structOps.get('cubic_legacy')!.value.name = 'so_soak_leg';
      await obj.load();
      const a = await obj.structOps.get('cubic_link')!.attach();
      const b = await obj.structOps.get('cubic_legacy')!.attach();
      a.close();
      b.close();
      obj.close();
    };
    for (let i = 0; i < Math.min(200, Math.ceil(CYCLES / 5)); i++) await cycle();
    const start = await settled();
    for (let i = 0; i < CYCLES; i++) await cycle();
    const end = await settled(start);
    console.log(table(`soak: ${CYCLES} open/load/attach/close cycles of cubic.bpf.o`, start, end));
    expectFlat(start, end);
    expect(end.heapMiB - start.heapMiB).toBeLessThan(8);
    expect(end.rssMiB - start.rssMiB).toBeLessThan(48);
  }, 600000);

  test(`${ROUNDS} rounds of register -> live traffic -> live swap -> unregister, no transfer fails`, async () => {
    const start = await settled();
    for (let round = 0; round < ROUNDS; round++) {
      const objects: BpfObject[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const obj = await openObject(fixture('cubic'));
          obj.structOps.get('cubic_link')!.value.name = 'so_soak_swap';
          obj.structOps.get('cubic_legacy')!.value.name = `so_soak_x${i}`;
          await obj.load();
          objects.push(obj);
        }
        const [a, b] = objects;
        const link = await a.structOps.get('cubic_link')!.attach();
        let oldCallsAtSwap: bigint | undefined;
        let bytesAtSwap = 0;
        const MiB = 1024 * 1024;
        const newCalls = (): bigint => b.readGlobals('.bss').cong_avoid_calls as bigint;
        // Driven by what happened (bytes moved, callbacks counted), not by a time slice.
        const result = await loopbackTraffic({
          algorithm: 'so_soak_swap',
          timeoutMs: 120000,
          until: () => oldCallsAtSwap !== undefined && newCalls() > 0n,
          bytes: Number.MAX_SAFE_INTEGER,
          onProgress: (bytes, _elapsed, sender) => {
            if (oldCallsAtSwap === undefined && bytes >= 8 * MiB && (a.readGlobals('.bss').cong_avoid_calls as bigint) > 0n) {
              bytesAtSwap = bytes;
              link.update(b.structOps.get('cubic_link')!);
              // A live socket keeps the ops it chose until it selects the algorithm again.
              setCongestionControl(sender!, 'so_soak_swap');
              oldCallsAtSwap = a.readGlobals('.bss').cong_avoid_calls as bigint;
            }
          },
        });
        expect(oldCallsAtSwap).toBeDefined();
        expect(result.bytes).toBeGreaterThan(bytesAtSwap);
        // After the swap the new object's programs are the ones the kernel calls.
        expect(b.readGlobals('.bss').cong_avoid_calls).toBeGreaterThan(0n);
        expect(oldCallsAtSwap).toBeGreaterThan(0n);
        link.close();
      } finally {
        for (const o of objects) o.close();
      }
    }
    const end = await settled(start);
    console.log(table(`soak: ${ROUNDS} rounds of register/traffic/swap/unregister`, start, end));
    expectFlat(start, end);
  }, 600000);
});
