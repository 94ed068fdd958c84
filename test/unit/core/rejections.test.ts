/**
 * CO-RE rejection rules that need types the compiled fixtures do not have (deep nesting,
 * odd bitfields, 128-bit fields, huge structs): local and target BTF are built here with
 * BtfBuilder, and each test asserts the code and message of the rule it covers.
 */
import { Btf, BtfKind, CoreReloKind } from '../../../lib/btf';
import { applyCoreRelocations, type CoreRelocation } from '../../../lib/core';
import { encodeInsn, loadFixture } from './fixture';
import { catchBpf as errorOf } from '../../helpers/errors';
import { type NewType, LDX_W, MOV64_K, LD_IMM64, EXIT, ctx, btfOf, int, member, struct } from './built-btf';

function apply(insns: Buffer, relo: Partial<CoreRelocation> & Pick<CoreRelocation, 'typeId'>, local: Btf, target: Btf = local) {
  const full: CoreRelocation = { insnOff: 0, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET, ...relo };
  return applyCoreRelocations(insns, [full], local, [target], ctx);
}

const load = (off = 0): Buffer => Buffer.concat([encodeInsn(LDX_W, 0, 1, off, 0), EXIT]);

describe('CO-RE bitfields', () => {
  it('refuses a bitfield whose type is not 1, 2, 4 or 8 bytes', () => {
    const btf = btfOf('wide', [int('__int128', 16, true), struct('bf', 16, [member('x', 1, 0, 3)], true)]);
    const err = errorOf(() => apply(load(), { typeId: 2 }, btf));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toMatch(/bitfield 'x' has a type of unsupported size 16/);
  });

  it('refuses a bitfield that straddles two 8-byte words (E2BIG)', () => {
    const btf = btfOf('straddle', [int('u64', 8), struct('st', 16, [member('x', 1, 60, 8)], true)]);
    const err = errorOf(() => apply(load(), { typeId: 2 }, btf));
    expect(err.code).toBe('E2BIG');
    expect(err.message).toMatch(/bitfield 'x' cannot be read with one 64-bit load/);
    // Four bits earlier it fits one load.
    const fits = btfOf('fits', [int('u64', 8), struct('st', 16, [member('x', 1, 56, 8)], true)]);
    expect(apply(Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, 0), EXIT]), { typeId: 2, kind: CoreReloKind.FIELD_BYTE_OFFSET }, fits).applied).toBe(1);
  });
});

describe('CO-RE nesting limits', () => {
  /** [1] int, [2..depth+1] pointers each to the one before, [depth+2] typedef 'deep' of the last. */
  const pointerChain = (depth: number): NewType[] => [
    int('int', 4, true),
    ...Array.from({ length: depth }, (_, i): NewType => ({ kind: BtfKind.PTR, nameOff: 0, name: '', type: i + 1 })),
    { kind: BtfKind.TYPEDEF, nameOff: 0, name: 'deep', type: depth + 1 },
  ];
  const mov1 = (): Buffer => Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, 1), EXIT]);

  it.each([
    ['type_exists', CoreReloKind.TYPE_EXISTS],
    ['type_matches', CoreReloKind.TYPE_MATCHES],
  ])('stops comparing types for %s after 32 levels', (_name, kind) => {
    const deep = btfOf('deep', pointerChain(40));
    const err = errorOf(() => apply(mov1(), { typeId: 42, accessStr: '0', kind }, deep));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toMatch(/types nest deeper than 32 levels/);
    const shallow = btfOf('shallow', pointerChain(8));
    expect(apply(mov1(), { typeId: 10, accessStr: '0', kind }, shallow)).toEqual({ applied: 1, poisoned: [] });
  });

  it('stops comparing array fields after 32 levels of nesting', () => {
    // [1] int, [2..35] int[1]...[1] (34 levels), [36] struct arrs { a; }.
    const types: NewType[] = [int('int', 4, true)];
    for (let i = 0; i < 34; i++) types.push({ kind: BtfKind.ARRAY, nameOff: 0, name: '', elemType: i + 1, indexType: 1, nelems: 1 });
    types.push(struct('arrs', 4, [member('a', 35)]));
    const btf = btfOf('arrays', types);
    const err = errorOf(() => apply(load(), { typeId: 36 }, btf));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toMatch(/array nesting deeper than 32 levels/);
  });

  it('refuses a target path that anonymous members make longer than 64 steps (E2BIG)', () => {
    const local = btfOf('local', [int('int', 4, true), struct('nest', 4, [member('f', 1)])]);
    // Target: [1] int, [2] anon { f }, [3..67] anon { anon } (65 more levels), [68] nest { anon }.
    const types: NewType[] = [int('int', 4, true), struct('', 4, [member('f', 1)])];
    for (let i = 0; i < 65; i++) types.push(struct('', 4, [member('', i + 2)]));
    types.push(struct('nest', 4, [member('', 67)]));
    const target = btfOf('target', types);
    const err = errorOf(() => apply(load(), { typeId: 2 }, local, target));
    expect(err.code).toBe('E2BIG');
    expect(err.message).toMatch(/target access path deeper than 64 steps/);
  });
});

describe('CO-RE access strings and ids', () => {
  const local = loadFixture('core_local.bpf.o');
  const target = loadFixture('core_target.o');
  const coreSk = local.btf.findByName('core_sk', 'struct')!.id;

  it('refuses an access string of more than 64 steps (E2BIG)', () => {
    const accessStr = Array.from({ length: 65 }, () => '0').join(':');
    const err = errorOf(() => apply(load(4), { typeId: coreSk, accessStr }, local.btf, target.btf));
    expect(err.code).toBe('E2BIG');
    expect(err.message).toMatch(/has more than 64 steps/);
  });

  it('refuses a bit offset beyond exact integers (ERANGE)', () => {
    const huge = btfOf('huge', [int('int', 4, true), struct('huge', 0x1000000, [member('x', 1)])]);
    const err = errorOf(() => apply(load(), { typeId: 2, accessStr: '2147483647:0' }, huge));
    expect(err.code).toBe('ERANGE');
    expect(err.message).toMatch(/access '2147483647:0' offset out of range/);
  });

  it('names the valid type id range', () => {
    for (const typeId of [local.btf.typeCount, -1, 1.5]) {
      const err = errorOf(() => apply(load(4), { typeId, accessStr: '0:1' }, local.btf, target.btf));
      expect(err.message).toMatch(`type id ${typeId} out of range (0..${local.btf.typeCount - 1})`);
    }
  });
});

describe('CO-RE instruction patching', () => {
  const local = loadFixture('core_local.bpf.o');
  const target = loadFixture('core_target.o');
  const coreSk = local.btf.findByName('core_sk', 'struct')!.id;

  it('refuses a field that grew to a size no load can access', () => {
    const small = btfOf('small', [int('u32', 4), struct('wide', 4, [member('v', 1)])]);
    const big = btfOf('big', [int('u128', 16), struct('wide', 16, [member('v', 1)])]);
    const err = errorOf(() => apply(load(), { typeId: 2 }, small, big));
    expect(err.message).toMatch(/insn 0 \(LDX\/ST\/STX\): cannot access 16 bytes/);
  });

  it('refuses an LD_IMM64 that does not hold the value clang assumed', () => {
    const insns = Buffer.concat([encodeInsn(LD_IMM64, 1, 0, 0, 8), encodeInsn(0, 0, 0, 0, 0), EXIT]);
    const err = errorOf(() => apply(insns, { typeId: coreSk, accessStr: '0:1' }, local.btf, target.btf));
    expect(err.message).toMatch(/unexpected insn 0 \(LD_IMM64\) value: got 8, expected 4 -> 40/);
    const right = Buffer.concat([encodeInsn(LD_IMM64, 1, 0, 0, 4), encodeInsn(0, 0, 0, 0, 0), EXIT]);
    expect(apply(right, { typeId: coreSk, accessStr: '0:1' }, local.btf, target.btf).applied).toBe(1);
  });

  it('refuses to poison an LD_IMM64 without its second half', () => {
    // '0:10' is only_local, missing in the target: the relocation is poisoned.
    const lonely = encodeInsn(LD_IMM64, 1, 0, 0, 0);
    const err = errorOf(() => apply(lonely, { typeId: coreSk, accessStr: '0:10' }, local.btf, target.btf));
    expect(err.message).toMatch(/insn 0 \(LD_IMM64\) is missing its second half/);
  });

  it('refuses an enumerator value that does not fit a 32-bit immediate (ERANGE)', () => {
    const enum64 = (value: bigint): NewType => ({
      kind: BtfKind.ENUM64, nameOff: 0, name: 'big', size: 8, signed: false, values: [{ nameOff: 0, name: 'V', value }],
    });
    const insns = Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, 1), EXIT]);
    const err = errorOf(() => apply(insns, { typeId: 1, accessStr: '0', kind: CoreReloKind.ENUMVAL_VALUE }, btfOf('l', [enum64(1n)]), btfOf('t', [enum64(1n << 40n)])));
    expect(err.code).toBe('ERANGE');
    expect(err.message).toMatch(/insn 0 \(ALU\/ALU64\): value 1099511627776 does not fit in a 32-bit immediate/);
  });
});
