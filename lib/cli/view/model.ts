/** What a run shows, independent of how (terminal block, plain lines, JSON lines). */
import type { DecodedValue } from '../../index';
import type { Row } from './rates';

/** One map `run` registered. */
export interface Registration {
  map: string;
  kernelStructOps: string;
  /** The algorithm / ops name (`.name` member), when the struct has one. */
  opsName?: string;
  mapId: number;
  /** Undefined for a legacy (`SEC(".struct_ops")`) registration. */
  linkId?: number;
}

/** The values at one refresh. */
export interface Snapshot {
  elapsedMs: number;
  rows: Row[];
  /** Variables not shown row by row (long arrays, large structs). */
  skipped: string[];
}

/** A ring buffer record: decoded through BTF when its type is known, raw bytes otherwise. */
export interface EventRecord {
  map: string;
  value: DecodedValue | Buffer;
}

/** Why a run ended and what it means for the exit status. */
export interface EndReport {
  reason: 'seconds' | 'signal' | 'detached' | 'unregistered' | 'exited' | 'error';
  /** One line for people. */
  message: string;
  signal?: NodeJS.Signals;
  /** The sched_ext exit record (user_exit_info), when the object has one and it is set. */
  exitInfo?: ExitInfo;
  exitStatus: number;
}

/** A sched_ext `struct user_exit_info` as the scheduler recorded it. */
export interface ExitInfo {
  kind: number;
  /** Enumerator of the kernel's `enum scx_exit_kind`, e.g. SCX_EXIT_UNREG. */
  kindName?: string;
  exitCode: bigint | number;
  reason: string;
  message: string;
}

/** The three outputs implement this. */
export interface LiveView {
  started(file: string, registrations: Registration[], intervalMs: number): void;
  refresh(snapshot: Snapshot): void;
  event(record: EventRecord): void;
  ended(report: EndReport, last: Snapshot): void;
  /** Restores the terminal (cursor); safe to call twice. */
  close(): void;
}
