/**
 * Malformed relocations throw a BpfError that names the program, section, relocation and
 * instruction; nothing crashes or hangs on garbage input.
 */
import { CoreReloKind } from '../../../lib/btf';
import { isBpfError } from '../../../lib/errors';
import { applyCoreRelocations, type CoreRelocation } from '../../../lib/core';
import { encodeInsn, insnAt, loadFixture } from './fixture';
import { catchBpf as errorOf } from '../../helpers/errors';

const local = loadFixture('core_local.bpf.o');
const target = loadFixture('core_target.o');
const coreSk = local.btf.findByName('core_sk', 'struct')!.id;
const ctx = { program: 'prog', section: 'core/test' };

const LDX_W = 0x61;
const MOV64_K = 0xb7;
const EXIT = encodeInsn(0x95, 0, 0, 0, 0);

function apply(insns: Buffer, relos: CoreRelocation[]) {
  return applyCoreRelocations(insns, relos, local.btf, [target.btf], ctx);
}

const ldxB = () => Buffer.concat([encodeInsn(LDX_W, 0, 1, 4, 0), EXIT]);
const reloB = (over: Partial<CoreRelocation> = {}): CoreRelocation => ({
  insnOff: 0,
  typeId: coreSk,
  accessStr: '0:1',
  kind: CoreReloKind.FIELD_BYTE_OFFSET,
  ...over,
});

describe('well-formed synthetic relocation', () => {
  it('patches a hand-built load', () => {
    const insns = ldxB();
    expect(apply(insns, [reloB()])).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(insns, 0)).toEqual({ code: 0x79, dst: 0, src: 1, off: 40, imm: 0 });
  });
});

describe('malformed relocations', () => {
  it('names program, section, relocation and instruction', () => {
    const insns = Buffer.concat([EXIT, ldxB()]);
    const err = errorOf(() => apply(insns, [reloB({ insnOff: 8 }), reloB({ insnOff: 8, accessStr: '0:99' })]));
    expect(err.code).toBe('EINVAL');
    expect(err.program).toBe('prog');
    expect(err.section).toBe('core/test');
    expect(err.offset).toBe(8);
    expect(err.typeId).toBe(coreSk);
    expect(err.message).toMatch(/^program prog \(section core\/test\): CO-RE relocation #1 \(byte_off of type \[\d+\] access '0:99'\) at insn 1: /);
    expect(err.message).toMatch(/member index 99/);
  });

  it.each(['', ':1', '0:', '0::1', '0:x', '-1', '0:1 ', '99999999999:0'])('rejects access string %j', (accessStr) => {
    expect(errorOf(() => apply(ldxB(), [reloB({ accessStr })])).message).toMatch(/access string/);
  });

  it('rejects an access that indexes into a scalar', () => {
    expect(errorOf(() => apply(ldxB(), [reloB({ accessStr: '0:1:0' })])).message).toMatch(/step 2 indexes into int/);
  });

  it('rejects an array index past the end of a fixed array', () => {
    expect(errorOf(() => apply(ldxB(), [reloB({ accessStr: '0:6:4' })])).message).toMatch(/array index 4 past 4/);
  });

  it('rejects type ids out of range and unknown kinds', () => {
    expect(errorOf(() => apply(ldxB(), [reloB({ typeId: 100000 })])).message).toMatch(/type id 100000 out of range/);
    expect(errorOf(() => apply(ldxB(), [reloB({ kind: 13 as CoreReloKind })])).message).toMatch(/unknown relocation kind 13/);
  });

  it('rejects instruction offsets outside the program or between instructions', () => {
    for (const insnOff of [16, 3, -8, 1.5]) {
      expect(errorOf(() => apply(ldxB(), [reloB({ insnOff })])).message).toMatch(/not an instruction of this program/);
    }
  });

  it('rejects a buffer that is not whole instructions', () => {
    expect(errorOf(() => apply(Buffer.alloc(12), [])).message).toMatch(/not a multiple of 8/);
  });

  it('rejects instructions that cannot carry a relocation', () => {
    expect(errorOf(() => apply(Buffer.concat([EXIT]), [reloB()])).message).toMatch(/insn 0 \(code 0x95\) cannot carry/);
    const aluX = Buffer.concat([encodeInsn(0x0f, 1, 2, 0, 4), EXIT]); // r1 += r2
    expect(errorOf(() => apply(aluX, [reloB()])).message).toMatch(/register operand/);
    const lonelyLd = encodeInsn(0x18, 1, 0, 0, 4); // LD_IMM64 without its second half
    expect(errorOf(() => apply(lonelyLd, [reloB()])).message).toMatch(/LD_IMM64\) has an unexpected form/);
    const mapLd = Buffer.concat([encodeInsn(0x18, 1, 1, 0, 4), encodeInsn(0, 0, 0, 0, 0)]); // src_reg 1: a map fd
    expect(errorOf(() => apply(mapLd, [reloB()])).message).toMatch(/unexpected form/);
  });

  it('rejects an instruction that does not hold the value clang assumed', () => {
    const wrongOff = Buffer.concat([encodeInsn(LDX_W, 0, 1, 8, 0), EXIT]);
    expect(errorOf(() => apply(wrongOff, [reloB()])).message).toMatch(/unexpected insn 0 \(LDX\/ST\/STX\) value: got 8, expected 4 -> 40/);
    const wrongImm = Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, 7), EXIT]);
    expect(errorOf(() => apply(wrongImm, [reloB({ kind: CoreReloKind.FIELD_BYTE_SIZE })])).message).toMatch(
      /unexpected insn 0 \(ALU\/ALU64\) value: got 7, expected 4 -> 8/,
    );
  });

  it('rejects a load whose width is not the field size it claims to read', () => {
    const byteLoad = Buffer.concat([encodeInsn(0x71, 0, 1, 4, 0), EXIT]); // u8 load of a u32 field
    expect(errorOf(() => apply(byteLoad, [reloB()])).message).toMatch(/accesses 1 bytes, expected 4/);
  });

  it('rejects an offset that does not fit a load (ERANGE)', () => {
    // Bitfield offsets are not validated, so a huge element index reaches the range check.
    const insns = Buffer.concat([encodeInsn(LDX_W, 0, 1, 0, 0), EXIT]);
    const err = errorOf(() => apply(insns, [reloB({ accessStr: '1000:3' })]));
    expect(err.code).toBe('ERANGE');
    expect(err.message).toMatch(/does not fit in 16 bits/);
  });

  it('rejects type relocations whose access string is not 0, and bad enumerator indexes', () => {
    const mov = Buffer.concat([encodeInsn(MOV64_K, 1, 0, 0, 1), EXIT]);
    expect(errorOf(() => apply(mov, [reloB({ kind: CoreReloKind.TYPE_EXISTS, accessStr: '1' })])).message).toMatch(/expected '0'/);
    const color = local.btf.findByName('core_color', 'enum')!.id;
    expect(
      errorOf(() => apply(mov, [reloB({ typeId: color, kind: CoreReloKind.ENUMVAL_EXISTS, accessStr: '9' })])).message,
    ).toMatch(/enumerator index '9' out of range/);
    expect(errorOf(() => apply(mov, [reloB({ kind: CoreReloKind.ENUMVAL_EXISTS, accessStr: '0' })])).message).toMatch(
      /non-enum/,
    );
  });

  it('refuses to search for an anonymous type (EOPNOTSUPP)', () => {
    const anon = local.btf.typeById(coreSk);
    const unionId = 'members' in anon ? anon.members[8].type : 0;
    const err = errorOf(() => apply(ldxB(), [reloB({ typeId: unionId, accessStr: '0:0' })]));
    expect(err.code).toBe('EOPNOTSUPP');
    expect(err.message).toMatch(/anonymous/);
  });
});

describe('garbage input', () => {
  it('only ever patches, poisons or throws BpfError', () => {
    // Deterministic xorshift so failures are reproducible.
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const typeCount = local.btf.typeCount;
    for (let i = 0; i < 3000; i++) {
      const insns = Buffer.alloc(8 * (1 + rand(4)));
      for (let b = 0; b < insns.length; b++) insns[b] = rand(256);
      const steps = Array.from({ length: 1 + rand(4) }, () => String(rand(12)));
      const relo: CoreRelocation = {
        insnOff: 8 * rand(insns.length / 8 + 1),
        typeId: rand(typeCount + 2),
        accessStr: rand(10) === 0 ? '0:' : steps.join(':'),
        kind: rand(14) as CoreReloKind,
      };
      try {
        apply(insns, [relo]);
      } catch (err) {
        if (!isBpfError(err)) throw new Error(`non-BpfError for ${JSON.stringify(relo)}: ${String(err)}`);
      }
    }
  });
});
