/** Per-CPU value layout: the syscall side of a per-CPU map holds one 8-byte aligned slot per possible CPU. */
import { BpfMapType } from '../sys';

/** Map types whose syscall value is one slot per possible CPU (kernel bpf_map_value_size()). */
export function isPerCpuType(type: number): boolean {
  return type === BpfMapType.PERCPU_HASH || type === BpfMapType.PERCPU_ARRAY ||
    type === BpfMapType.LRU_PERCPU_HASH || type === BpfMapType.PERCPU_CGROUP_STORAGE;
}

/** Bytes between two CPUs' values: round_up(valueSize, 8). */
export function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}
