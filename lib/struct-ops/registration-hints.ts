// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Hints for registration errors, and the TCP algorithm name they mention. */
import { BtfComposite, BtfKind } from '../btf';
import { BpfError } from '../errors';
import { familyRules, refusalHint } from '../families';
import type { RegistrableMap } from './registrable-map';

/**
 * The `name` member of a loaded struct_ops map's kernel value (the algorithm name for
 * tcp_congestion_ops), or undefined when the kernel struct has no char-array `name`.
 */
export function structOpsName(map: RegistrableMap): string | undefined {
  const plan = map.plan;
  if (!plan) return undefined;
  const { btf, typeId, dataOffset } = plan.kernel;
  const type = btf.typeById(typeId) as BtfComposite;
  const member = type.members?.find((m) => m.name === 'name');
  if (!member || btf.resolve(member.type).kind !== BtfKind.ARRAY) return undefined;
  const start = dataOffset + member.bitOffset / 8;
  const bytes = map.kernelValue.subarray(start, start + btf.sizeOf(member.type));
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('latin1');
}

/** What the failing call was doing, for the hint. */
export type RegistrationStep = 'attach' | 'update';

/**
 * Adds the map name and a hint for the common registration failures to a BpfError
 * (other errors pass through unchanged). Returns the same error.
 */
export function withRegistrationHint(err: unknown, map: RegistrableMap, step: RegistrationStep): unknown {
  if (!(err instanceof BpfError)) return err;
  const e = err as { map?: string; hint?: string; message: string };
  e.map ??= map.name;
  const name = structOpsName(map);
  const tcp = map.kernelTypeName === 'tcp_congestion_ops';
  if (step === 'update' && err.command === 'BPF_LINK_UPDATE') {
    e.message = `struct_ops ${map.name}: cannot switch the link to this map${name ? ` (${name})` : ''}: ${e.message}`;
  }
  const notSupported = err.code === 'EOPNOTSUPP' || err.code === 'ENOTSUPP';
  const registering = step === 'attach' && (err.command === 'BPF_MAP_UPDATE_ELEM' || err.command === 'BPF_LINK_CREATE');
  if (notSupported && registering) {
    // The family's reg() refused: bpf_dummy_ops' always does (the family exists for tests).
    const unregistrable = familyRules(map.kernelTypeName)?.unregistrable !== undefined;
    e.message = `struct_ops ${map.name}: ${map.kernelTypeName} ${unregistrable ? 'cannot be registered' : 'refused the registration'}: ${e.message}`;
    e.hint = refusalHint({ command: err.command as 'BPF_MAP_UPDATE_ELEM' | 'BPF_LINK_CREATE', code: err.code, kernelType: map.kernelTypeName });
  } else if (err.code === 'EEXIST' && step === 'attach') {
    e.message = `struct_ops ${map.name}: name taken: a ${map.kernelTypeName}${name ? ` named ${name}` : ''} is already registered (${e.message})`;
    e.hint = tcp
      ? `unregister the other one first (struct-ops unregister MAP, or see /proc/sys/net/ipv4/tcp_available_congestion_control), or give this one another .name`
      : 'unregister the other one first, or give this one another name';
  } else if (err.code === 'EBUSY') {
    e.hint = 'this map is already registered (a struct_ops map registers once); close its link or unregister it first';
  } else if (err.code === 'EINVAL' && step === 'update') {
    e.hint = tcp
      ? `a live update keeps the algorithm: the new map must implement the same kernel struct with the same .name${name ? ` (the new one is ${name})` : ''}, and be a .struct_ops.link map`
      : 'a live update needs a .struct_ops.link map of the same kernel struct';
  } else if (err.code === 'ENOLINK') {
    e.hint = 'the link is detached (it points at no map any more); register anew instead';
  } else if (err.code === 'EPERM' && step === 'update' && err.command === 'BPF_LINK_UPDATE') {
    e.hint = 'the link no longer points at the expected map (it was updated or detached meanwhile); read link.info() and retry';
  } else if (err.code === 'EINVAL' && e.hint === undefined && registering) {
    e.hint = refusalHint({ command: err.command as 'BPF_MAP_UPDATE_ELEM' | 'BPF_LINK_CREATE', code: err.code, kernelType: map.kernelTypeName });
  }
  return err;
}
