// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * applyCoreRelocations: the entry point that patches one program's instructions for the
 * running kernel. Each relocation is parsed, resolved against candidate kernel types and
 * written into its instruction; unresolvable ones poison the instruction (like libbpf) and
 * malformed ones throw a BpfError that says where.
 */
import { BpfError, isBpfError, malformed } from '../errors';
import { CoreReloKind, type Btf } from '../btf';
import { findCandidates, type Candidate } from './candidates';
import { RelocFailure } from './failure';
import { reloKindName } from './kinds';
import { INSN_SIZE, patchInstruction, poisonInstruction } from './patch';
import type { CoreContext, CoreRelocation, CoreResult } from './relocation';
import { resolveRelocation } from './resolve';
import { parseLocalSpec } from './spec';

/**
 * Patches `insns` in place so that its CO-RE relocations match the kernel's types.
 *
 * Candidates for a local type are looked up once per call; as in libbpf, once some
 * candidates matched a relocation, later relocations of the same local type only consider
 * those (so `struct x` settles on one of several `x___flavor` kernel types).
 *
 * @param insns - one program's instructions (8 bytes each, little-endian), already copied
 * @param relocations - the program's CO-RE records; `insnOff` is a byte offset into `insns`
 * @param local - the object's BTF (type ids and access strings refer to it)
 * @param targets - kernel BTFs to search: vmlinux first, then module BTFs
 * @param context - program and section names for messages
 * @returns how many relocations were applied and which instructions were poisoned
 * @throws BpfError (EINVAL; ERANGE when a value does not fit; EOPNOTSUPP for an anonymous
 *   root type) naming the program, section, relocation and instruction, for a malformed
 *   relocation: bad kind or access string, type id out of range, instruction index out of
 *   range, an instruction that cannot carry the relocation or does not hold the value the
 *   compiler assumed
 * @example
 * ```ts
 * const insns = Buffer.from(elf.section('struct_ops/cc_init')!.data);
 * const { poisoned } = applyCoreRelocations(insns, relocs, objBtf, [loadKernelBtf()],
 *   { program: 'cc_init', section: 'struct_ops/cc_init' });
 * for (const p of poisoned) console.warn(`insn ${p.insnIndex}: ${p.reason}`);
 * ```
 */
export function applyCoreRelocations(
  insns: Buffer,
  relocations: readonly CoreRelocation[],
  local: Btf,
  targets: readonly Btf[],
  context: CoreContext,
): CoreResult {
  if (insns.length % INSN_SIZE !== 0) {
    throw malformed(
      `program ${context.program} (section ${context.section}): instruction buffer of ${insns.length} bytes is not a multiple of ${INSN_SIZE}`,
      { program: context.program, section: context.section },
    );
  }
  const candidates = new Map<number, Candidate[]>();
  const result: CoreResult = { applied: 0, poisoned: [] };
  relocations.forEach((relo, i) => {
    try {
      const reason = applyOne(insns, relo, local, targets, candidates);
      if (reason === undefined) result.applied++;
      else result.poisoned.push({ insnIndex: relo.insnOff / INSN_SIZE, relocation: relo, reason });
    } catch (err) {
      if (!(err instanceof RelocFailure) && !isBpfError(err)) throw err;
      throw located(err, relo, i, context);
    }
  });
  return result;
}

/** Applies one relocation; returns the poison reason, or undefined when patched. */
function applyOne(
  insns: Buffer,
  relo: CoreRelocation,
  local: Btf,
  targets: readonly Btf[],
  cache: Map<number, Candidate[]>,
): string | undefined {
  const count = insns.length / INSN_SIZE;
  const { insnOff, typeId, kind } = relo;
  if (!Number.isInteger(insnOff) || insnOff < 0 || insnOff % INSN_SIZE !== 0 || insnOff / INSN_SIZE >= count) {
    throw new RelocFailure(`instruction offset ${insnOff} is not an instruction of this program (${count} instructions)`);
  }
  if (!Number.isInteger(kind) || kind < CoreReloKind.FIELD_BYTE_OFFSET || kind > CoreReloKind.TYPE_MATCHES) {
    throw new RelocFailure(`unknown relocation kind ${String(kind)}`);
  }
  if (!Number.isInteger(typeId) || typeId < 0 || typeId >= local.typeCount) {
    throw new RelocFailure(`type id ${typeId} out of range (0..${local.typeCount - 1})`);
  }
  const index = insnOff / INSN_SIZE;
  const spec = parseLocalSpec(local, typeId, kind, relo.accessStr);
  let cands: Candidate[] = [];
  if (kind !== CoreReloKind.TYPE_ID_LOCAL) {
    cands = cache.get(typeId) ?? findCandidates(local, typeId, targets);
    cache.set(typeId, cands);
  }
  const { resolution, matched } = resolveRelocation(kind, spec, cands);
  if (resolution.poison === undefined && matched.length > 0) cache.set(typeId, matched);
  if (resolution.poison !== undefined) {
    poisonInstruction(insns, index);
    return resolution.poison;
  }
  return patchInstruction(insns, index, resolution);
}

/** Wraps a failure with everything needed to find the relocation in the object. */
function located(err: RelocFailure | BpfError, relo: CoreRelocation, i: number, ctx: CoreContext): BpfError {
  const where =
    `program ${ctx.program} (section ${ctx.section}): CO-RE relocation #${i} ` +
    `(${reloKindName(relo.kind)} of type [${relo.typeId}] access '${relo.accessStr}') at insn ${describeIndex(relo.insnOff)}`;
  return new BpfError(`${where}: ${err.message}`, {
    code: err.code,
    program: ctx.program,
    section: ctx.section,
    offset: relo.insnOff,
    typeId: relo.typeId,
    cause: err,
  });
}

function describeIndex(insnOff: number): string {
  return Number.isInteger(insnOff) && insnOff % INSN_SIZE === 0 ? String(insnOff / INSN_SIZE) : `offset ${insnOff}`;
}
