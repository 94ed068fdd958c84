// BpfMap lives in lib/maps (user-space access to every map type); the object layer re-exports it.
export { BpfMap } from '../maps/map';
export type { MapKey, MapResource } from '../maps/map';
