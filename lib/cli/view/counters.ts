/**
 * What the live view shows: the scalar values of an object's global data (`.bss`, `.data`
 * and their `.data.*` siblings) and of its per-CPU arrays (summed over CPUs), read through
 * the object's BTF, flattened to named leaves.
 */
import type { BpfObject, DecodedValue } from '../../index';

/** One value shown by the view: a group (`.bss`, a map name) and a name inside it. */
export interface Leaf {
  group: string;
  name: string;
  value: number | bigint | boolean | string;
}

/** Arrays longer than this are not spread into one row per element (a sample ring, say). */
const MAX_ARRAY_ROWS = 16;
/** Rows a single variable may produce; beyond it the variable is summarised as skipped. */
const MAX_ROWS_PER_VALUE = 64;

/**
 * Flattens a decoded value into leaves named `var`, `var.member`, `var[i]`. Returns
 * undefined when it would make more than MAX_ROWS_PER_VALUE rows or holds a long array.
 */
export function flatten(group: string, name: string, value: DecodedValue): Leaf[] | undefined {
  const out: Leaf[] = [];
  const walk = (path: string, v: DecodedValue): boolean => {
    if (out.length > MAX_ROWS_PER_VALUE) return false;
    if (v === null) return true;
    if (typeof v !== 'object') {
      out.push({ group, name: path, value: v });
      return true;
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_ARRAY_ROWS) return false;
      return v.every((e, i) => walk(`${path}[${i}]`, e));
    }
    return Object.entries(v).every(([k, e]) => walk(path === '' ? k : `${path}.${k}`, e));
  };
  return walk(name, value) && out.length <= MAX_ROWS_PER_VALUE ? out : undefined;
}

/** Global-data sections the view reads: writable ones (constants do not move). */
export function liveSections(obj: BpfObject): string[] {
  return [...obj.maps.values()]
    .filter((m) => m.spec.kind === 'data' && /^\.(bss|data)(\.|$)/.test(m.name))
    .map((m) => m.name);
}

/** Reads one set of leaves; `skipped` names variables too big to show row by row. */
export interface Reading {
  leaves: Leaf[];
  skipped: string[];
}

/** A per-CPU array reader: the sum over CPUs of each slot, decoded (see counters-percpu). */
export type PerCpuReader = () => { group: string; slots: DecodedValue[] }[];

/**
 * Reads the globals of `sections` (skipping variables named in `hidden`, e.g. the sched_ext
 * exit record that the end report shows) and the per-CPU sums `perCpu` gives.
 */
export function readCounters(obj: BpfObject, sections: string[], hidden: ReadonlySet<string>, perCpu?: PerCpuReader): Reading {
  const leaves: Leaf[] = [];
  const skipped: string[] = [];
  for (const section of sections) {
    for (const [name, value] of Object.entries(obj.readGlobals(section))) {
      if (hidden.has(name)) continue;
      const rows = flatten(section, name, value);
      if (rows) leaves.push(...rows);
      else skipped.push(`${section} ${name}`);
    }
  }
  for (const { group, slots } of perCpu?.() ?? []) {
    slots.forEach((slot, i) => {
      const rows = flatten(group, `[${i}]`, slot);
      if (rows) leaves.push(...rows);
      else skipped.push(`${group}[${i}]`);
    });
  }
  return { leaves, skipped };
}
