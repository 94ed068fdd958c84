// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * What ring buffer readers, user ring buffer writers and mmapped views (the resources a map
 * opens) need of their map. BpfMap implements it and creates them; their files import only
 * this one, so none of them imports BpfMap back (no import cycle in lib/maps). Each resource
 * is generic over its map type, and BpfMap's factories fill in BpfMap: `reader.map` is
 * the BpfMap it was opened from.
 */
import type { Btf } from '../btf';
import type { Fd, MapHandle, MapLayout } from '../sys';
import type { MapSpec } from './spec';

/** Something that closes with its map (ring buffer readers, mmapped views). */
export interface MapResource {
  close(): void;
}

/** The map a {@link MapResource} is opened from, as the resource uses it (BpfMap). */
export interface ResourceMap {
  readonly spec: MapSpec;
  /** The object's BTF: record types of typed readers and writers. */
  readonly btf: Btf | undefined;
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  readonly maxEntries: number;
  /** The map fd. @throws {BpfError} EBADF before load or after close. */
  readonly fd: Fd;
  readonly layout: MapLayout;
  /** @internal The handle the resource maps or polls. */
  handle(): MapHandle;
  /** @internal Registers the resource to close with the map. */
  adopt<T extends MapResource>(resource: T): T;
  /** @internal The resource closed itself. */
  release(resource: MapResource): void;
}
