/**
 * lib/maps: what BPF programs write, read from Node. BpfMap gives typed (BTF) and raw
 * element access with one bpf() syscall per operation, per-CPU values, iteration, batches,
 * queues/stacks, map-in-map and fd-keyed storage; ring buffer readers, user ring buffer
 * writers and mmapped views (arena, mmapable arrays) are opened from a map and close with it.
 */
export { BpfMap } from './map';
export type { MapKey } from './map';
export type { MapResource, ResourceMap } from './resource';
export { RingBufferReader, RingBatch } from './ringbuf';
export type { RingBufferOptions } from './ringbuf';
export { UserRingBuffer } from './user-ringbuf';
export { MappedMemory } from './mapped';
export type { MapInput } from './codec';
export { sumCounters } from './codec';
export { isPerCpuType, perCpuStride } from './percpu';
export { pidfdOpen as openPidfd } from '../sys';
export type { ArenaGlobalsSpec, MapKind, MapSpec } from './spec';
