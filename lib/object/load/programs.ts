// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { Fd, progLoadAsync, type ProgLoadAttr } from '../../sys';
import type { PoisonedRelocation } from '../../core';

/** A program to load: its PROG_LOAD attrs (attrs.ts) and what error messages need. */
export interface ProgramLoadRequest {
  /** Program name in the object. */
  name: string;
  attr: ProgLoadAttr;
  /** CO-RE relocations that could not be resolved (for the hint when the verifier trips on one). */
  poisoned: PoisonedRelocation[];
}

/**
 * Loads programs concurrently: each PROG_LOAD runs on the libuv pool, so the kernel verifies
 * them in parallel. On any failure, every program that did load is closed again and the
 * first failure is thrown (with its verifier log and, for poisoned CO-RE relocations, a hint).
 */
export async function loadPrograms(requests: ProgramLoadRequest[], object: string): Promise<Fd[]> {
  const results = await Promise.allSettled(requests.map((r) => loadOne(r, object)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') r.value.close();
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Fd>).value);
}

async function loadOne(r: ProgramLoadRequest, object: string): Promise<Fd> {
  const name = r.name;
  try {
    return await progLoadAsync(r.attr);
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    const e = err as { program?: string; object?: string; hint?: string; message: string };
    e.program = name;
    e.object = object;
    e.message = `program ${name}: ${err.message}`;
    if (r.poisoned.length > 0 && err.verifierLog?.includes('195896080')) {
      e.hint = `CO-RE relocation(s) could not be resolved against the running kernel: ${r.poisoned
        .map((p) => `insn ${p.insnIndex}: ${p.reason}`).join('; ')}`;
    } else if (/must have a GPL compatible license/.test(err.verifierLog ?? '')) {
      e.hint = 'struct_ops programs need char _license[] SEC("license") = "GPL";';
    } else if (e.hint === undefined && err.verifierLog) {
      e.hint = 'the verifier rejected the program; see err.verifierLog';
    }
    throw err;
  }
}

/** The kernel keeps 15 chars of [A-Za-z0-9_.] for program names. */
export function kernelProgName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}
