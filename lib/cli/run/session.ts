/**
 * One `struct-ops run`: open, edit, load, register the selected maps, refresh the live view
 * until something ends the run, detach, report why. Everything it registered is released
 * on every path out, errors included.
 */
import { BpfError, BpfObject, openObject, StructOpsMap } from '../../index';
import type { CliIo } from '../command';
import { liveSections, readCounters, type PerCpuReader } from '../view/counters';
import type { EndReport, LiveView, Registration, Snapshot } from '../view/model';
import { RateTracker } from '../view/rates';
import { applyRodata, applySet } from './edits';
import { EventStreams, type EventSpec } from './events';
import { findExitRecord, readExitRecord, type ExitRecordPlace } from './exit-info';
import { checkHeld, Held, release } from './held';
import { selectMaps } from '../select-maps';
import { signalStatus, StopRequests } from './stop';

/** Exit statuses of `run` (see its --help). */
export const RUN_EXIT = { OK: 0, FAIL: 1, ENDED_UNDERNEATH: 3 } as const;

/** How often registrations are checked between refreshes: one bpf() call per map. */
const WATCH_MS = 100;

export interface SessionOptions {
  file: string;
  maps: string[];
  sets: string[];
  rodata: string[];
  intervalMs: number;
  seconds?: number;
  view: LiveView;
  io: CliIo;
  stop: StopRequests;
  /** Ring buffers whose records are printed as they arrive (--events). */
  events?: EventSpec[];
  /** Per-CPU array sums, when the library can read per-CPU maps. */
  perCpu?: (obj: BpfObject) => PerCpuReader | undefined;
}

/**
 * Runs the session. Returns the end report (its exitStatus is the process's), or
 * undefined when a signal came before anything was registered.
 * @throws {BpfError} when opening, editing, loading or registering fails (nothing stays registered)
 */
export async function runSession(o: SessionOptions): Promise<EndReport | undefined> {
  const obj = await openObject(o.file);
  const held: Held[] = [];
  let streams: EventStreams | undefined;
  try {
    const maps = selectMaps(obj, o.file, o.maps);
    for (const s of o.sets) applySet(obj, s);
    for (const r of o.rodata) applyRodata(obj, r);
    await obj.load();
    for (const w of obj.warnings) o.io.err(`warning: ${w}`);
    if (o.stop.signal) return undefined;
    let streamError: unknown;
    // Opened before registering: no record the programs write is missed.
    streams = new EventStreams(obj, o.events ?? [], (r) => o.view.event(r), (err) => {
      streamError ??= err;
    });
    for (const map of maps) held.push(await hold(map));
    return await watch(obj, held, o, streams, () => streamError);
  } finally {
    streams?.close();
    let left: string[] = [];
    try {
      left = held.splice(0).map(release).filter((x): x is string => x !== undefined);
    } finally {
      obj.close();
    }
    if (left.length > 0) throw new BpfError(`could not end every registration: ${left.join('; ')}`, { code: 'EBUSY', hint: 'check with struct-ops show' });
  }
}

async function hold(map: StructOpsMap): Promise<Held> {
  const link = await map.attach(); // legacy maps: no persist, so close() (or exit) unregisters
  const registration: Registration = {
    map: map.name, kernelStructOps: map.kernelTypeName, opsName: opsName(map), mapId: map.id,
    linkId: map.isLink ? link.id : undefined,
  };
  return { map, link, registration };
}

/** The `.name` member (TCP algorithm, sched_ext ops name), when the struct has one. */
function opsName(map: StructOpsMap): string | undefined {
  try {
    const name = (map.value as Record<string, unknown>).name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

async function watch(obj: BpfObject, held: Held[], o: SessionOptions, streams: EventStreams, streamError: () => unknown): Promise<EndReport> {
  const exitPlace = findExitRecord(obj);
  const hidden = new Set(exitPlace ? [exitPlace.variable] : []);
  const sections = liveSections(obj);
  const perCpu = o.perCpu?.(obj);
  const rates = new RateTracker();
  const t0 = performance.now();
  const snapshot = (): Snapshot => {
    const now = performance.now();
    const { leaves, skipped } = readCounters(obj, sections, hidden, perCpu);
    return { elapsedMs: now - t0, rows: rates.update(leaves, now), skipped };
  };
  snapshot(); // the baseline of the first refresh's rates
  o.view.started(o.file, held.map((h) => h.registration), o.intervalMs);

  let wake: (() => void) | undefined;
  o.stop.onStop(() => wake?.());
  const deadline = o.seconds === undefined ? Infinity : t0 + o.seconds * 1000;
  let nextRefresh = t0 + o.intervalMs;
  let ended: Omit<EndReport, 'exitStatus'> & { exitStatus?: number } | undefined;
  try {
    for (;;) {
      ended = stopReason(o, held, obj, exitPlace);
      const failed = streamError();
      if (!ended && failed !== undefined) throw failed;
      const now = performance.now();
      if (!ended && now >= deadline) ended = { reason: 'seconds', message: `--seconds ${o.seconds} elapsed`, exitStatus: RUN_EXIT.OK };
      if (now >= nextRefresh || ended) {
        if (!ended) o.view.refresh(snapshot());
        while (nextRefresh <= now) nextRefresh += o.intervalMs; // a late tick is not repeated
      }
      if (ended) break;
      const delay = Math.max(0, Math.min(WATCH_MS, nextRefresh - now, deadline - now));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    ended = { reason: 'error', message: `reading the object's maps failed: ${err.message}`, exitStatus: RUN_EXIT.FAIL };
  }
  // Detach first, then read: the exit record of a sched_ext scheduler is written as it is
  // disabled, and the counters are final once nothing calls the programs any more.
  const left = held.splice(0).map(release).filter((x): x is string => x !== undefined);
  streams.drain((r) => o.view.event(r)); // the records written before the detach
  const report: EndReport = { exitStatus: RUN_EXIT.OK, ...ended };
  if (exitPlace && !report.exitInfo) report.exitInfo = readExitRecord(obj, exitPlace);
  if (left.length > 0) {
    report.reason = 'error';
    report.message += `; could not end every registration: ${left.join('; ')}`;
    report.exitStatus = RUN_EXIT.FAIL;
  }
  o.view.ended(report, snapshot());
  return report;
}

/** Why the run must end now, if it must. */
function stopReason(o: SessionOptions, held: Held[], obj: BpfObject, exitPlace: ExitRecordPlace | undefined): (Omit<EndReport, 'exitStatus'> & { exitStatus: number }) | undefined {
  const signal = o.stop.signal;
  if (signal) return { reason: 'signal', message: `${signal} received; detached`, signal, exitStatus: signalStatus(signal) };
  if (exitPlace) {
    const exitInfo = readExitRecord(obj, exitPlace);
    if (exitInfo) {
      return {
        reason: 'exited', exitInfo, exitStatus: RUN_EXIT.ENDED_UNDERNEATH,
        message: `the scheduler exited (${exitInfo.kindName ?? `kind ${exitInfo.kind}`})${exitInfo.reason ? `: ${exitInfo.reason}` : ''}`,
      };
    }
  }
  for (const h of held) {
    const gone = checkHeld(h);
    if (gone) return { ...gone, exitStatus: RUN_EXIT.ENDED_UNDERNEATH };
  }
  return undefined;
}
