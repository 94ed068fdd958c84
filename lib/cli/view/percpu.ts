/**
 * Per-CPU arrays in the live view: each slot's value summed over every possible CPU (the
 * way scx schedulers keep their statistics), through the map's BTF-typed `sum()`.
 */
import type { BpfObject, DecodedValue } from '../../index';
import type { PerCpuReader } from './counters';

/** Arrays with more slots than this are left out (a per-CPU table, not counters). */
const MAX_SLOTS = 64;

/** A reader of the object's per-CPU arrays, or undefined when it has none worth showing. */
export function perCpuArrays(obj: BpfObject): PerCpuReader | undefined {
  const maps = [...obj.maps.values()].filter((m) => m.typeName === 'PERCPU_ARRAY' && m.loaded && m.maxEntries <= MAX_SLOTS);
  if (maps.length === 0) return undefined;
  return () => maps.map((m) => {
    const slots: DecodedValue[] = [];
    for (let i = 0; i < m.maxEntries; i++) slots.push(m.sum(i) ?? null);
    return { group: m.name, slots };
  });
}
