/**
 * BTF built in the test with BtfBuilder (types the compiled fixtures do not have), and the
 * few instructions the CO-RE rule tests patch: shared by rejections.test.ts and
 * reloc-kind-rules.test.ts.
 */
import { Btf, BtfBuilder, BtfKind, type BtfType, type DistributiveOmit } from '../../../lib/btf';
import { rawBtf } from '../btf/raw';
import { encodeInsn } from './fixture';

export type NewType = DistributiveOmit<BtfType, 'id'>;

export const LDX_W = 0x61;
export const MOV64_K = 0xb7;
export const LD_IMM64 = 0x18;
export const EXIT = encodeInsn(0x95, 0, 0, 0, 0);
/** Where applyCoreRelocations' errors say the relocation is. */
export const ctx = { program: 'prog', section: 'core/test' };

/** Encodes `types` (ids 1, 2, ... in order) and parses the result. */
export function btfOf(name: string, types: NewType[]): Btf {
  const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
  for (const t of types) b.addType(t);
  return Btf.parse(b.encode(), { name });
}

export const int = (name: string, size: number, signed = false): NewType => ({
  kind: BtfKind.INT, nameOff: 0, name, size, encoding: signed ? 1 : 0, bitOffset: 0, bits: size * 8,
});
export const member = (name: string, type: number, bitOffset = 0, bitfieldSize = 0) => ({ nameOff: 0, name, type, bitOffset, bitfieldSize });
export const struct = (name: string, size: number, members: ReturnType<typeof member>[], kindFlag = false): NewType => ({
  kind: BtfKind.STRUCT, nameOff: 0, name, size, kindFlag, members,
});
