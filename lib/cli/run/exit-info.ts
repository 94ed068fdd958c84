/**
 * The sched_ext exit record: schedulers built on the scx headers keep a global
 * `struct user_exit_info` (UEI_DEFINE; kind, exit_code, reason, msg) that their `exit`
 * callback fills from the kernel's `struct scx_exit_info` when the scheduler is disabled:
 * by the watchdog, by an error, or by user space detaching it. A non-zero `kind` means the
 * scheduler has exited. Found through BTF by its shape (a struct global with `kind`,
 * `exit_code`, `reason` and `msg` members), so own records in the same pattern count too.
 */
import { BtfKind, loadKernelBtf, type BpfObject, type BtfType } from '../../index';
import type { ExitInfo } from '../view/model';

const RECORD_MEMBERS = ['kind', 'exit_code', 'reason', 'msg'];
const KIND_ENUM = 'scx_exit_kind';

/** Where an object keeps its exit record. */
export interface ExitRecordPlace {
  section: string;
  variable: string;
}

/** The exit-record global (`struct user_exit_info` or alike) in a writable data section, if any. */
export function findExitRecord(obj: BpfObject): ExitRecordPlace | undefined {
  const btf = obj.spec.btf;
  const isRecord = (typeId: number): boolean => {
    const t = btf.typeById(btf.skipModifiers(typeId));
    return t.kind === BtfKind.STRUCT && RECORD_MEMBERS.every((n) => t.members.some((m) => m.name === n));
  };
  for (const map of obj.maps.values()) {
    if (map.spec.kind !== 'data' || !/^\.(bss|data)(\.|$)/.test(map.name)) continue;
    const sec = btf.findByName(map.name, 'datasec');
    if (!sec || sec.kind !== BtfKind.DATASEC) continue;
    for (const entry of sec.vars) {
      const v = btf.typeById(entry.type);
      if (v.kind === BtfKind.VAR && isRecord(v.type)) return { section: map.name, variable: v.name };
    }
  }
  return undefined;
}

/** The record's current contents, or undefined while `kind` is 0 (still running). */
export function readExitRecord(obj: BpfObject, place: ExitRecordPlace): ExitInfo | undefined {
  const rec = obj.readGlobals(place.section)[place.variable] as Record<string, unknown> | undefined;
  if (!rec || typeof rec !== 'object') return undefined;
  const kind = Number(rec.kind ?? 0);
  if (kind === 0) return undefined;
  return {
    kind,
    kindName: exitKindName(kind),
    exitCode: (rec.exit_code as bigint | number | undefined) ?? 0,
    reason: typeof rec.reason === 'string' ? rec.reason : '',
    message: typeof rec.msg === 'string' ? rec.msg : '',
  };
}

/** `SCX_EXIT_UNREG` for 64, from the running kernel's BTF (undefined without sched_ext). */
function exitKindName(kind: number): string | undefined {
  let t: BtfType | undefined;
  try {
    t = loadKernelBtf().findByName(KIND_ENUM, 'enum') ?? loadKernelBtf().findByName(KIND_ENUM, 'enum64');
  } catch {
    return undefined; // no kernel BTF: the number alone still says it
  }
  if (!t || (t.kind !== BtfKind.ENUM && t.kind !== BtfKind.ENUM64)) return undefined;
  return t.values.find((v) => Number(v.value) === kind)?.name;
}
