/**
 * Resizing a global-data section before load (libbpf's bpf_map__set_value_size on a data
 * map): the section's last variable must be an array; it grows or shrinks to fill the new
 * size, in whole elements. sched_ext sizes `.data.uei_dump` (`char uei_dump[]`) this way.
 * The object's BTF stays as parsed: the load encodes a DATASEC of the new size whose last
 * VAR points at a new ARRAY type with the new element count.
 */
import { BtfKind, type BtfDatasec, type BtfPatch, type Btf } from '../btf';
import { BpfError } from '../errors';
import { findDatasec } from './open/btf-fixup';

/** Upper bound for a data section size: keeps the user-space copy bounded (the kernel's limit is lower). */
export const MAX_DATA_SIZE = 1 << 30;

/** How the BTF of one resized section changes. */
export interface DataResize {
  section: string;
  datasecId: number;
  /** Index of the last VAR entry in the DATASEC. */
  entry: number;
  varId: number;
  elemType: number;
  indexType: number;
  nelems: number;
  size: number;
}

/**
 * Checks that `section` can be resized to `size` bytes and says how its BTF changes.
 * @throws {BpfError} ENOENT without a DATASEC; EINVAL for a bad size, a last variable that
 *   is not an array, or a size that does not end on a whole array element.
 */
export function planDataResize(btf: Btf, section: string, size: number, object: string): DataResize {
  if (!Number.isInteger(size) || size <= 0 || size > MAX_DATA_SIZE) {
    throw new BpfError(`${section}: size must be a positive integer up to ${MAX_DATA_SIZE}, got ${String(size)}`, { code: 'EINVAL', object, section });
  }
  const sec: BtfDatasec | undefined = findDatasec(btf, section);
  if (!sec || sec.vars.length === 0) {
    throw new BpfError(`${section} has no BTF variables to resize`, { code: 'ENOENT', object, section });
  }
  const entry = sec.vars.length - 1;
  const last = sec.vars[entry];
  const v = btf.typeById(last.type);
  const arr = v.kind === BtfKind.VAR ? btf.resolve(v.type) : undefined;
  const name = v.kind === BtfKind.VAR ? v.name : String(last.type);
  if (v.kind !== BtfKind.VAR || arr?.kind !== BtfKind.ARRAY) {
    throw new BpfError(`${section}: cannot resize: its last variable ${name} is not an array`, {
      code: 'EINVAL', object, section,
      hint: 'declare the variable to size last in its own section, as an array: char buf[N] SEC(".data.buf")',
    });
  }
  const elemSize = btf.sizeOf(arr.elemType);
  const room = size - last.offset;
  if (elemSize <= 0 || room < elemSize || room % elemSize !== 0) {
    throw new BpfError(
      `${section}: ${size} bytes leave ${room} for ${name} at offset ${last.offset}, not a whole number (>= 1) of ${elemSize}-byte elements`,
      { code: 'EINVAL', object, section, hint: `choose a size of ${last.offset} + k * ${elemSize} bytes` },
    );
  }
  return {
    section, datasecId: sec.id, entry, varId: v.id, elemType: arr.elemType, indexType: arr.indexType,
    nelems: room / elemSize, size,
  };
}

/** Applies resizes to the BTF patch the load encodes (a new ARRAY per resized variable). */
export function applyDataResizes(p: BtfPatch, resizes: readonly DataResize[]): void {
  for (const r of resizes) {
    const array = p.addType({ kind: BtfKind.ARRAY, nameOff: 0, name: '', elemType: r.elemType, indexType: r.indexType, nelems: r.nelems });
    const v = p.edit(r.varId);
    if (v.kind === BtfKind.VAR) v.type = array;
    const sec = p.edit(r.datasecId);
    if (sec.kind === BtfKind.DATASEC) {
      sec.size = r.size;
      sec.vars[r.entry].size = r.size - sec.vars[r.entry].offset;
    }
  }
}
