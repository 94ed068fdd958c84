// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
// BpfMap lives in lib/maps (user-space access to every map type); the object layer re-exports it.
export { BpfMap } from '../maps';
export type { MapKey, MapResource } from '../maps';
