/**
 * The kind dispatch of the CO-RE engine and the checks in front of the defensive throws of
 * lib/core/calc.ts and lib/core/match.ts.
 *
 * Five throws there cannot be reached through applyCoreRelocations with any input:
 * - calc.ts "not a field relocation" / "not a type relocation" (the switch defaults): apply.ts
 *   rejects every kind that is not an integer 0-12 first, and every such kind has its case
 *   (FIELD_EXISTS and TYPE_ID_LOCAL return before the switch).
 * - calc.ts "is not an enum": spec.ts rejects an enumerator relocation on a non-enum root,
 *   and matchEnumval skips a non-enum candidate.
 * - calc.ts and match.ts "is not a struct or union": a named accessor is only ever created
 *   for a resolved struct or union (spec.ts, matchMember).
 * These tests cover the checks that get there first, with inputs that would reach the
 * throws without them: fractional kinds, every valid kind, accessors through typedefs,
 * qualifiers and anonymous members, and enumerator relocations on structs. Each test asserts
 * the code and message that applyCoreRelocations returns. The reachable rule beside them
 * (a member-only kind on an array element or the root) is asserted directly.
 */
import { Btf, BtfKind, CoreReloKind } from '../../../lib/btf';
import { applyCoreRelocations, type CoreRelocation } from '../../../lib/core';
import { encodeInsn, insnAt, ldImm64At } from './fixture';
import { catchBpf as errorOf } from '../../helpers/errors';
import { type NewType, LDX_W, MOV64_K, LD_IMM64, EXIT, ctx, btfOf, int, member, struct } from './built-btf';

const union = (name: string, size: number, members: ReturnType<typeof member>[]): NewType => ({
  kind: BtfKind.UNION, nameOff: 0, name, size, kindFlag: false, members,
});
const typedef = (name: string, type: number): NewType => ({ kind: BtfKind.TYPEDEF, nameOff: 0, name, type });
const qualified = (kind: BtfKind.CONST | BtfKind.VOLATILE, type: number): NewType => ({ kind, nameOff: 0, name: '', type });
const enumOf = (name: string, values: [string, number][]): NewType => ({
  kind: BtfKind.ENUM, nameOff: 0, name, size: 4, signed: false, values: values.map(([n, value]) => ({ nameOff: 0, name: n, value })),
});

function apply(insns: Buffer, relo: Partial<CoreRelocation> & Pick<CoreRelocation, 'typeId'>, local: Btf, target: Btf = local) {
  const full: CoreRelocation = { insnOff: 0, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET, ...relo };
  return applyCoreRelocations(insns, [full], local, [target], ctx);
}

const ldx = (off: number): Buffer => Buffer.concat([encodeInsn(LDX_W, 0, 1, off, 0), EXIT]);
const mov = (imm: number): Buffer => Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, imm), EXIT]);
const ldImm64 = (imm: number): Buffer => Buffer.concat([encodeInsn(LD_IMM64, 1, 0, 0, imm), encodeInsn(0, 0, 0, 0, 0), EXIT]);

/** [1] int, [2] struct pair { int a; int b; }, [3] enum color { RED = 0, GREEN = 7 }. */
const simple = btfOf('simple', [
  int('int', 4, true),
  struct('pair', 8, [member('a', 1), member('b', 1, 32)]),
  enumOf('color', [['RED', 0], ['GREEN', 7]]),
]);
const PAIR = 2;
const COLOR = 3;

describe('relocation kinds that reach the value switches', () => {
  // Without apply.ts's kind check, a fractional kind in 0..5 would be taken for a field
  // relocation (isFieldKind) and hit fieldValue's default; one in 6..9 (or 10.5, 13, ...)
  // would hit typeValue's default.
  it.each([
    ['0.5', 0.5, '0:1'],
    ['1.5', 1.5, '0:1'],
    ['3.5', 3.5, '0:1'],
    ['4.5', 4.5, '0:1'],
    ['6.5', 6.5, '0'],
    ['7.5', 7.5, '0'],
    ['8.5', 8.5, '0'],
    ['10.5', 10.5, '0:1'],
    ['11.5', 11.5, '0:1'],
    ['13', 13, '0'],
    ['NaN', NaN, '0:1'],
    ['-1', -1, '0:1'],
  ])('refuses relocation kind %s before evaluating it', (name, kind, accessStr) => {
    const err = errorOf(() => apply(mov(4), { typeId: PAIR, accessStr, kind: kind as CoreReloKind }, simple));
    expect(err.code).toBe('EINVAL');
    expect(err.typeId).toBe(PAIR);
    expect(err.message).toBe(
      `program prog (section core/test): CO-RE relocation #0 (kind ${name} of type [${PAIR}] access '${accessStr}') at insn 0: ` +
        `unknown relocation kind ${name}`,
    );
  });

  // Every valid kind has its case: a kind missing from a switch would throw its default.
  it.each([
    ['byte_off', CoreReloKind.FIELD_BYTE_OFFSET, PAIR, '0:1', ldx(4), 4],
    ['byte_sz', CoreReloKind.FIELD_BYTE_SIZE, PAIR, '0:1', mov(4), 4],
    ['field_exists', CoreReloKind.FIELD_EXISTS, PAIR, '0:1', mov(1), 1],
    ['signed', CoreReloKind.FIELD_SIGNED, PAIR, '0:1', mov(1), 1],
    ['lshift_u64', CoreReloKind.FIELD_LSHIFT_U64, PAIR, '0:1', mov(32), 32],
    ['rshift_u64', CoreReloKind.FIELD_RSHIFT_U64, PAIR, '0:1', mov(32), 32],
    ['type_exists', CoreReloKind.TYPE_EXISTS, PAIR, '0', mov(1), 1],
    ['type_size', CoreReloKind.TYPE_SIZE, PAIR, '0', mov(8), 8],
    ['type_matches', CoreReloKind.TYPE_MATCHES, PAIR, '0', mov(1), 1],
    ['enumval_exists', CoreReloKind.ENUMVAL_EXISTS, COLOR, '1', mov(1), 1],
    ['enumval_value', CoreReloKind.ENUMVAL_VALUE, COLOR, '1', mov(7), 7],
  ])('evaluates %s', (_name, kind, typeId, accessStr, insns, want) => {
    expect(apply(insns, { typeId, accessStr, kind }, simple)).toEqual({ applied: 1, poisoned: [] });
    const insn = insnAt(insns, 0);
    expect(kind === CoreReloKind.FIELD_BYTE_OFFSET ? insn.off : insn.imm).toBe(want);
  });

  it.each([
    ['local_type_id', CoreReloKind.TYPE_ID_LOCAL],
    ['target_type_id', CoreReloKind.TYPE_ID_TARGET],
  ])('evaluates %s (not checked against the instruction)', (_name, kind) => {
    const insns = ldImm64(99);
    expect(apply(insns, { typeId: PAIR, accessStr: '0', kind }, simple)).toEqual({ applied: 1, poisoned: [] });
    expect(ldImm64At(insns, 0)).toBe(BigInt(PAIR));
  });
});

describe('field kinds on an array element or the root itself', () => {
  // [1] int, [2] struct arr { int n; int v[4]; }, [3] int[4].
  const btf = btfOf('arr', [
    int('int', 4, true),
    struct('arr', 20, [member('n', 1), member('v', 3, 32)]),
    { kind: BtfKind.ARRAY, nameOff: 0, name: '', elemType: 1, indexType: 1, nelems: 4 },
  ]);

  it.each([
    ['signed', '0:1:2', CoreReloKind.FIELD_SIGNED],
    ['lshift_u64', '0:1:2', CoreReloKind.FIELD_LSHIFT_U64],
    ['rshift_u64', '0:1:2', CoreReloKind.FIELD_RSHIFT_U64],
    ['signed', '0', CoreReloKind.FIELD_SIGNED],
    ['rshift_u64', '1', CoreReloKind.FIELD_RSHIFT_U64],
  ])('refuses %s at access %s (no member to take it from)', (name, accessStr, kind) => {
    const err = errorOf(() => apply(mov(1), { typeId: 2, accessStr, kind }, btf));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe(
      `program prog (section core/test): CO-RE relocation #0 (${name} of type [2] access '${accessStr}') at insn 0: ` +
        `${name} cannot be applied to an array element`,
    );
  });

  it('gives the offset and size of an array element', () => {
    const off = ldx(12);
    expect(apply(off, { typeId: 2, accessStr: '0:1:2', kind: CoreReloKind.FIELD_BYTE_OFFSET }, btf)).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(off, 0).off).toBe(12);
    const size = mov(20);
    expect(apply(size, { typeId: 2, accessStr: '1', kind: CoreReloKind.FIELD_BYTE_SIZE }, btf)).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(size, 0).imm).toBe(20);
  });
});

describe('field accessors through typedefs, qualifiers and anonymous members', () => {
  // Local: outer_t -> struct outer { int x; const inner_t in; }, inner_t -> const struct inner { int a; int b; }.
  const local = btfOf('local', [
    int('int', 4, true), // [1]
    struct('inner', 8, [member('a', 1), member('b', 1, 32)]), // [2]
    qualified(BtfKind.CONST, 2), // [3]
    typedef('inner_t', 3), // [4]
    qualified(BtfKind.VOLATILE, 4), // [5]
    struct('outer', 12, [member('x', 1), member('in', 5, 32)]), // [6]
    typedef('outer_t', 6), // [7]
  ]);
  // Target: inner grew a field before b (now unsigned), and outer keeps `in` in an anonymous union.
  const target = btfOf('target', [
    int('unsigned int', 4), // [1]
    struct('inner', 12, [member('a', 1), member('pad', 1, 32), member('b', 1, 64)]), // [2]
    typedef('inner_t', 2), // [3]
    union('', 12, [member('raw', 1), member('in', 3)]), // [4]
    struct('outer', 20, [member('x', 1), member('y', 1, 32), member('', 4, 64)]), // [5]
    typedef('outer_t', 5), // [6]
  ]);
  const OUTER_T = 7;

  it.each([
    ['byte_off', CoreReloKind.FIELD_BYTE_OFFSET, ldx(8), 16],
    ['byte_sz', CoreReloKind.FIELD_BYTE_SIZE, mov(4), 4],
    ['field_exists', CoreReloKind.FIELD_EXISTS, mov(1), 1],
    ['signed', CoreReloKind.FIELD_SIGNED, mov(1), 0],
    ['lshift_u64', CoreReloKind.FIELD_LSHIFT_U64, mov(32), 32],
    ['rshift_u64', CoreReloKind.FIELD_RSHIFT_U64, mov(32), 32],
  ])('relocates %s of outer_t::in.b', (_name, kind, insns, want) => {
    expect(apply(insns, { typeId: OUTER_T, accessStr: '0:1:1', kind }, local, target)).toEqual({ applied: 1, poisoned: [] });
    const insn = insnAt(insns, 0);
    expect(kind === CoreReloKind.FIELD_BYTE_OFFSET ? insn.off : insn.imm).toBe(want);
  });

  it('relocates the nested struct member itself (a composite field)', () => {
    const insns = mov(8);
    expect(apply(insns, { typeId: OUTER_T, accessStr: '0:1', kind: CoreReloKind.FIELD_BYTE_SIZE }, local, target)).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(insns, 0).imm).toBe(12);
  });
});

describe('enumerator relocations', () => {
  it('reads the value through a typedef and a qualifier', () => {
    const local = btfOf('local', [enumOf('color', [['RED', 0], ['GREEN', 7]]), typedef('color_t', 1)]);
    const target = btfOf('target', [
      { kind: BtfKind.ENUM64, nameOff: 0, name: 'color', size: 8, signed: false, values: [
        { nameOff: 0, name: 'GREEN___v2', value: 1n << 20n },
        { nameOff: 0, name: 'RED', value: 0n },
      ] },
      qualified(BtfKind.CONST, 1),
      typedef('color_t', 2),
    ]);
    const insns = mov(7);
    expect(apply(insns, { typeId: 2, accessStr: '1', kind: CoreReloKind.ENUMVAL_VALUE }, local, target)).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(insns, 0).imm).toBe(1 << 20);
  });

  it('treats a target type that is no enum as no match (poison, not a failure)', () => {
    const local = btfOf('local', [enumOf('color', [['RED', 0], ['GREEN', 7]]), typedef('color_t', 1)]);
    const target = btfOf('target', [int('int', 4, true), typedef('color_t', 1)]);
    const insns = mov(7);
    const res = apply(insns, { typeId: 2, accessStr: '1', kind: CoreReloKind.ENUMVAL_VALUE }, local, target);
    expect(res.applied).toBe(0);
    expect(res.poisoned).toEqual([
      expect.objectContaining({ insnIndex: 0, reason: "typedef color_t::GREEN not found in kernel BTF (1 candidate checked)" }),
    ]);
  });

  // With a struct root the enumerator path would look for values that do not exist.
  it.each([
    ['a struct', PAIR],
    ['a typedef of a struct', 4],
  ])('refuses an enumval_value relocation on %s', (_what, typeId) => {
    const btf = btfOf('local', [
      int('int', 4, true),
      struct('pair', 8, [member('a', 1), member('b', 1, 32)]),
      enumOf('color', [['RED', 0]]),
      typedef('pair_t', 2),
    ]);
    const err = errorOf(() => apply(mov(0), { typeId, accessStr: '0', kind: CoreReloKind.ENUMVAL_VALUE }, btf));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe(
      `program prog (section core/test): CO-RE relocation #0 (enumval_value of type [${typeId}] access '0') at insn 0: ` +
        `enumerator relocation on non-enum type [${typeId}]`,
    );
  });
});
