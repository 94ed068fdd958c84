// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * What a registration (BpfLink, a legacy registration, their error hints) needs of the
 * struct_ops map it registers. StructOpsMap implements it and creates the registrations;
 * their files import only this one, so none of them imports StructOpsMap back (no import
 * cycle in lib/object). BpfLink is generic over its map type, and `StructOpsMap.attach()`
 * fills in StructOpsMap: `link.map` is the StructOpsMap that was attached.
 */
import type { StructOpsPlan } from './plan';
import type { Fd } from '../sys';

/** A struct_ops map as its registrations use it (StructOpsMap). */
export interface RegistrableMap {
  /** Variable name. */
  readonly name: string;
  /** Name the kernel shows (the first 15 bytes of the variable name). */
  readonly kernelName: string;
  /** Kernel struct the map implements, e.g. `tcp_congestion_ops`. */
  readonly kernelTypeName: string;
  /** Registered through a BPF link (`SEC(".struct_ops.link")`) rather than a map update. */
  readonly isLink: boolean;
  readonly loaded: boolean;
  /** The map fd. @throws {BpfError} EBADF before load or after close. */
  readonly fd: Fd;
  /** Kernel map id. @throws {BpfError} EBADF before load or after close. */
  readonly id: number;
  /** The map is pinned: a legacy registration of it outlives the process. */
  readonly pinned: boolean;
  /** The kernel value (with program fds) the registration writes. @throws {BpfError} EBADF before load. */
  readonly kernelValue: Buffer;
  /** The member matching done at load; undefined before. */
  readonly plan: StructOpsPlan | undefined;
}
