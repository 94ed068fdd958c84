// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';
import { Btf, BtfComposite, BtfKind } from '../btf';
import type { KernelStructOps } from './kernel-type';

/** The local (object-side) description of one struct_ops variable. */
export interface LocalStructOps {
  name: string;
  /** Local struct type id in `btf`. */
  typeId: number;
  /** The variable's bytes (function-pointer slots zero). */
  data: Buffer;
  /** Member name -> program name. */
  programs: ReadonlyMap<string, string>;
}

/** A function-pointer slot of the kernel value that receives a program fd. */
export interface ProgramSlot {
  member: string;
  /** Index of the member in the kernel struct: the program's expected_attach_type. */
  memberIndex: number;
  /** Byte offset of the slot inside the kernel value struct. */
  offset: number;
  program: string;
}

/** How to build the kernel value for one struct_ops map. */
export interface StructOpsPlan {
  kernel: KernelStructOps;
  /** The kernel value with every scalar member copied in and fd slots still zero. */
  template: Buffer;
  slots: ProgramSlot[];
  warnings: string[];
}

/**
 * Matches a local struct_ops variable against the kernel's struct, member by member by
 * name: kinds must agree, scalar sizes must agree, function pointers become program slots.
 * A member the kernel lacks is skipped with a warning when zero and is an error when set.
 *
 * @throws {BpfError} naming the member: EOPNOTSUPP (missing but set, bitfield, kind
 *   mismatch, not a function pointer), EINVAL (size mismatch).
 */
export function planStructOps(local: LocalStructOps, btf: Btf, kernel: KernelStructOps, object: string): StructOpsPlan {
  const localType = btf.resolve(local.typeId) as BtfComposite;
  const kernelType = kernel.btf.typeById(kernel.typeId) as BtfComposite;
  const template = Buffer.alloc(kernel.valueSize);
  const slots: ProgramSlot[] = [];
  const warnings: string[] = [];
  const fail = (member: string, code: string, why: string, hint?: string): BpfError =>
    new BpfError(`struct_ops ${local.name}: member ${member}: ${why}`, { code, object, map: local.name, member, hint });

  for (const m of localType.members) {
    const program = local.programs.get(m.name);
    const localOffset = m.bitOffset / 8;
    const localSize = m.bitfieldSize > 0 ? 0 : btf.sizeOf(m.type);
    if (!Number.isInteger(localOffset) || localOffset + localSize > local.data.length) {
      throw fail(m.name, 'EINVAL', `member lies outside the ${local.data.length}-byte variable (offset ${m.bitOffset / 8}, size ${localSize})`,
        'the object\'s BTF is corrupt; rebuild it with clang -g');
    }
    const kIndex = kernelType.members.findIndex((k) => k.name === m.name);
    if (kIndex < 0) {
      const isZero = program === undefined && local.data.subarray(localOffset, localOffset + localSize).every((b) => b === 0);
      if (!isZero) {
        throw fail(m.name, 'EOPNOTSUPP', `the running kernel's struct ${kernel.name} has no member ${m.name}, but it is set`,
          'this kernel is older than the one the object was written for; leave the member unset or use a newer kernel');
      }
      warnings.push(`struct_ops ${local.name}: member ${m.name} not found in kernel struct ${kernel.name}, skipped (it is zero)`);
      continue;
    }
    const km = kernelType.members[kIndex];
    if (m.bitfieldSize > 0 || km.bitfieldSize > 0) throw fail(m.name, 'EOPNOTSUPP', 'bitfield members are not supported');
    const lt = btf.resolve(m.type);
    const kt = kernel.btf.resolve(km.type);
    if (lt.kind !== kt.kind) {
      throw fail(m.name, 'EOPNOTSUPP', `kind mismatch: object has ${BtfKind[lt.kind]}, kernel has ${BtfKind[kt.kind]}`);
    }
    const kernelOffset = kernel.dataOffset + km.bitOffset / 8;
    if (kernelOffset + (lt.kind === BtfKind.PTR ? 8 : kernel.btf.sizeOf(km.type)) > kernel.valueSize) {
      throw fail(m.name, 'EINVAL', `kernel member lies outside struct ${kernel.name}`);
    }
    if (lt.kind === BtfKind.PTR) {
      if (program !== undefined) {
        if (kt.kind !== BtfKind.PTR || kernel.btf.resolve(kt.type).kind !== BtfKind.FUNC_PROTO) {
          throw fail(m.name, 'EOPNOTSUPP', `kernel member ${m.name} is not a function pointer`);
        }
        slots.push({ member: m.name, memberIndex: kIndex, offset: kernelOffset, program });
      } else if (!local.data.subarray(localOffset, localOffset + 8).every((b) => b === 0)) {
        throw fail(m.name, 'EOPNOTSUPP', 'only function pointers to programs of this object can be set');
      }
      continue;
    }
    const kernelSize = kernel.btf.sizeOf(km.type);
    if (kernelSize !== localSize) {
      throw fail(m.name, 'EINVAL', `size mismatch: object has ${localSize} bytes, kernel has ${kernelSize}`);
    }
    local.data.copy(template, kernelOffset, localOffset, localOffset + localSize);
  }
  return { kernel, template, slots, warnings };
}

/** Builds the final kernel value: the template with each slot holding its program's fd. */
export function buildStructOpsValue(plan: StructOpsPlan, fdOf: (program: string) => number): Buffer {
  const value = Buffer.from(plan.template);
  for (const slot of plan.slots) value.writeBigUInt64LE(BigInt(fdOf(slot.program)), slot.offset);
  return value;
}
