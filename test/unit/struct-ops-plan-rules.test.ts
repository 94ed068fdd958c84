/**
 * Each rule of planStructOps (lib/struct-ops/plan.ts) that rejects a struct_ops variable,
 * on a hand-built BTF holding the object's struct and the kernel's: every test here fails
 * when its rule is deleted.
 */
import type { DistributiveOmit } from '../../lib/btf';
import { Btf, BtfBuilder, BtfKind, type BtfMember, type BtfType } from '../../lib/btf';
import { planStructOps, type KernelStructOps } from '../../lib/struct-ops';
import { rawBtf } from './btf/raw';

const INT = 1;
const U64 = 2;
const FN_PTR = 4;
const DATA_PTR = 5;

const member = (name: string, type: number, byteOffset: number): BtfMember => ({
  nameOff: 0, name, type, bitOffset: byteOffset * 8, bitfieldSize: 0,
});

/** BTF with ids 1 int, 2 u64, 3 proto, 4 fn ptr, 5 int ptr, 6 the kernel struct, 7 the local one. */
function build(local: BtfMember[], valueSize = 32): { btf: Btf; kernel: KernelStructOps; localId: number } {
  const b = new BtfBuilder(Btf.parse(rawBtf([], Buffer.from([0]))));
  const types: DistributiveOmit<BtfType, 'id'>[] = [
    { kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
    { kind: BtfKind.INT, nameOff: 0, name: 'u64', size: 8, encoding: 0, bitOffset: 0, bits: 64 },
    { kind: BtfKind.FUNC_PROTO, nameOff: 0, name: '', returnType: INT, params: [] },
    { kind: BtfKind.PTR, nameOff: 0, name: '', type: 3 },
    { kind: BtfKind.PTR, nameOff: 0, name: '', type: INT },
    {
      kind: BtfKind.STRUCT, nameOff: 0, name: 'demo_ops', size: 24, kindFlag: false,
      members: [member('init', FN_PTR, 0), member('flags', INT, 8), member('handle', DATA_PTR, 16)],
    },
    { kind: BtfKind.STRUCT, nameOff: 0, name: 'demo_ops', size: 24, kindFlag: local.some((m) => m.bitfieldSize > 0), members: local },
  ];
  for (const t of types) b.addType(t);
  const btf = Btf.parse(b.encode());
  const kernel: KernelStructOps = { name: 'demo_ops', btf, typeId: 6, valueTypeId: 6, valueSize, dataOffset: 8 };
  return { btf, kernel, localId: 7 };
}

function plan(local: BtfMember[], data: Buffer, programs: Record<string, string> = {}, valueSize = 32) {
  const { btf, kernel, localId } = build(local, valueSize);
  return planStructOps({ name: 'v', typeId: localId, data, programs: new Map(Object.entries(programs)) }, btf, kernel, 'o.bpf.o');
}

const GOOD = [member('init', FN_PTR, 0), member('flags', INT, 8)];

describe('planStructOps rejects what the kernel would misread', () => {
  test('a matching variable plans: program slot at the kernel offset, scalars copied', () => {
    const data = Buffer.alloc(24);
    data.writeInt32LE(7, 8);
    const p = plan(GOOD, data, { init: 'prog_init' });
    expect(p.slots).toEqual([{ member: 'init', memberIndex: 0, offset: 8, program: 'prog_init' }]);
    expect(p.template.readInt32LE(16)).toBe(7);
  });

  test('kind mismatch: a pointer where the kernel has an int', () => {
    expect(() => plan([member('init', FN_PTR, 0), member('flags', DATA_PTR, 8)], Buffer.alloc(24), { init: 'p' }))
      .toThrow(expect.objectContaining({ code: 'EOPNOTSUPP', member: 'flags', message: expect.stringMatching(/kind mismatch/) }));
  });

  test('a non-zero function pointer that is no program of this object', () => {
    const data = Buffer.alloc(24);
    data.writeBigUInt64LE(0xffff_8000_dead_beefn, 0);
    expect(() => plan(GOOD, data)).toThrow(
      expect.objectContaining({ code: 'EOPNOTSUPP', member: 'init', message: expect.stringMatching(/only function pointers to programs/) }),
    );
  });

  test('a program in a kernel member that is a data pointer', () => {
    expect(() => plan([member('init', FN_PTR, 0), member('handle', FN_PTR, 16)], Buffer.alloc(24), { handle: 'p' }))
      .toThrow(expect.objectContaining({ code: 'EOPNOTSUPP', member: 'handle', message: expect.stringMatching(/not a function pointer/) }));
  });

  test('a scalar of another size', () => {
    expect(() => plan([member('init', FN_PTR, 0), member('flags', U64, 8)], Buffer.alloc(24)))
      .toThrow(expect.objectContaining({ code: 'EINVAL', member: 'flags', message: expect.stringMatching(/size mismatch/) }));
  });

  test('a member the kernel lacks: an error when set, a warning when zero', () => {
    const extra = [...GOOD, member('newer', INT, 16)];
    const set = Buffer.alloc(24);
    set.writeInt32LE(1, 16);
    expect(() => plan(extra, set)).toThrow(expect.objectContaining({ code: 'EOPNOTSUPP', member: 'newer' }));
    expect(plan(extra, Buffer.alloc(24)).warnings).toEqual([expect.stringMatching(/member newer not found/)]);
  });

  test('a bitfield member', () => {
    const bits = { ...member('flags', INT, 8), bitfieldSize: 3 };
    expect(() => plan([member('init', FN_PTR, 0), bits], Buffer.alloc(24)))
      .toThrow(expect.objectContaining({ code: 'EOPNOTSUPP', member: 'flags', message: expect.stringMatching(/bitfield/) }));
  });

  test('a kernel member past the kernel value (inconsistent kernel BTF)', () => {
    // data at 8 + flags at 8 + 4 bytes = 20 > a 16-byte value struct.
    expect(() => plan(GOOD, Buffer.alloc(24), { init: 'p' }, 16))
      .toThrow(expect.objectContaining({ code: 'EINVAL', member: 'flags', message: expect.stringMatching(/outside struct demo_ops/) }));
  });

  test('a member outside the variable', () => {
    expect(() => plan([...GOOD, member('flags2', INT, 22)], Buffer.alloc(24)))
      .toThrow(expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/outside the 24-byte variable/) }));
  });
});
