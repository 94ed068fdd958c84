// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../../errors';
import { INSN_SIZE, runsForwardOnly } from '../../asm';
import { BPF_F_SLEEPABLE, Fd, progLoad, progLoadAsync, type ProgLoadAttr } from '../../sys';
import type { PoisonedRelocation } from '../../core';
import { refusalHint } from '../../families';

/** A program to load: its PROG_LOAD attrs (attrs.ts) and what error messages need. */
export interface ProgramLoadRequest {
  /** Program name in the object. */
  name: string;
  attr: ProgLoadAttr;
  /** CO-RE relocations that could not be resolved (for the hint when the verifier trips on one). */
  poisoned: PoisonedRelocation[];
  /** struct_ops programs: the member they implement (the kernel's name for it). */
  member?: string;
  /** struct_ops programs: the kernel struct of that member. */
  kernelType?: string;
}

/**
 * Programs this small that run forward only (lib/asm runsForwardOnly: no loop to unroll, no
 * subprogram) keep the verifier about 0.1 ms each (reno's: 7-9 instructions), no more than a
 * round trip to the libuv pool costs, and the wait there also let V8 run idle-time work
 * (a scavenge) inside the load: they are loaded on the calling thread. The 10th load of
 * reno in a process took 2.3 ms instead of 3.0 (medians, docs/startup.md).
 */
export const QUICK_VERIFY_INSNS = 128;

/** Whether a PROG_LOAD is quick enough for the calling thread (QUICK_VERIFY_INSNS). */
export function quickToVerify(attr: ProgLoadAttr): boolean {
  return attr.insns.length <= QUICK_VERIFY_INSNS * INSN_SIZE && runsForwardOnly(attr.insns);
}

/**
 * Loads programs concurrently: each PROG_LOAD that may take the verifier a while runs on the
 * libuv pool, so the kernel verifies them in parallel, and the quick ones (quickToVerify)
 * run on this thread meanwhile. On any failure, every program that did load is closed
 * again and the first failure is thrown (with its verifier log and, for poisoned CO-RE
 * relocations, a hint).
 */
export async function loadPrograms(requests: ProgramLoadRequest[], object: string): Promise<Fd[]> {
  const quick = requests.map((r) => quickToVerify(r.attr));
  const started: Promise<Fd>[] = new Array(requests.length);
  // The pool's first, so it works while this thread loads the quick ones.
  requests.forEach((r, i) => { if (!quick[i]) started[i] = loadOne(r, object, false); });
  requests.forEach((r, i) => { if (quick[i]) started[i] = loadOne(r, object, true); });
  const results = await Promise.allSettled(started);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') r.value.close();
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Fd>).value);
}

async function loadOne(r: ProgramLoadRequest, object: string, onThisThread: boolean): Promise<Fd> {
  const name = r.name;
  try {
    return onThisThread ? progLoad(r.attr) : await progLoadAsync(r.attr);
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    const e = err as { program?: string; object?: string; member?: string; hint?: string; message: string };
    const log = err.verifierLog ?? '';
    // The verifier names the member it refuses; otherwise the one the program is bound to.
    const refused = /attach to (?:unsupported|invalid|NULL) member (\w+)(?:\(@idx \d+\))? of struct (\w+)/.exec(log);
    const member = refused?.[1] ?? r.member;
    const kernelType = refused?.[2] ?? r.kernelType;
    e.program = name;
    e.object = object;
    if (member !== undefined) e.member = member;
    e.message = `program ${name}${member !== undefined ? ` (${kernelType ?? 'struct_ops'}.${member})` : ''}: ${err.message}`;
    const familyHint = kernelType === undefined ? undefined : refusalHint({
      command: 'BPF_PROG_LOAD', code: err.code, kernelType, member,
      sleepable: (r.attr.progFlags ?? 0) & BPF_F_SLEEPABLE ? true : undefined,
    });
    if (r.poisoned.length > 0 && log.includes('195896080')) {
      e.hint = `CO-RE relocation(s) could not be resolved against the running kernel: ${r.poisoned
        .map((p) => `insn ${p.insnIndex}: ${p.reason}`).join('; ')}`;
    } else if (/must have a GPL compatible license|cannot call kernel function from non-GPL/.test(log)) {
      e.hint = /non-GPL/.test(log)
        ? 'programs calling kfuncs need char _license[] SEC("license") = "GPL";'
        : 'struct_ops programs need char _license[] SEC("license") = "GPL";';
    } else if (familyHint !== undefined && (refused || !log || /can be sleepable/.test(log))) {
      // The member refusal, or (Linux < 6.2) any sleepable struct_ops program refused.
      e.hint = familyHint;
    } else if (e.hint === undefined && log) {
      e.hint = 'the verifier rejected the program; see err.verifierLog';
    }
    throw err;
  }
}

/** The kernel keeps 15 chars of [A-Za-z0-9_.] for program names. */
export function kernelProgName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}
