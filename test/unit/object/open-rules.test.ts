/**
 * One test per open-phase rule (ELF + BTF -> ObjectSpec): each edits one field of a
 * committed fixture object and checks that loadObjectSpec refuses it with EINVAL, naming
 * what is wrong and where. The bytes are located by test/helpers/object-bytes.ts, which
 * reads the ELF and BTF layout itself, so a broken parser cannot hide a broken test.
 */
import { readFileSync } from 'node:fs';
import { Btf, BtfKind } from '../../../lib/btf';
import { BpfError } from '../../../lib/errors';
import { loadObjectSpec } from '../../../lib/object';
import { parseElf } from '../../../lib/elf';
import { fixture } from '../../helpers/fixtures';
import { ObjectBytes, type BtfRecord } from '../../helpers/object-bytes';

const STB_LOCAL = 0;
const SHN_ABS = 0xfff1;

/** The fixture's parsed BTF, to look types and members up by name. */
function btfOf(name: string): Btf {
  const elf = parseElf(readFileSync(fixture(name)), name);
  return Btf.parse(elf.section('.BTF')!.data, { name });
}

function openError(o: ObjectBytes, path: string): BpfError {
  try {
    loadObjectSpec(o.buf, path);
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    return err;
  }
  throw new Error(`${path} opened`);
}

/** Writes word `field` (0 name_off, 1 type, 2 offset) of member `index` of a STRUCT record. */
function setMemberWord(o: ObjectBytes, t: BtfRecord, index: number, field: number, value: number): void {
  o.buf.writeUInt32LE(value, t.extra + index * 12 + field * 4);
}

/** Writes word `field` (0 type, 1 offset, 2 size) of entry `index` of a DATASEC record. */
const setDatasecWord = setMemberWord;

/** A STRUCT's member index by name. */
function memberIndex(btf: Btf, structId: number, name: string): number {
  const t = btf.resolve(structId);
  if (t.kind !== BtfKind.STRUCT) throw new Error(`${structId} is not a struct`);
  const i = t.members.findIndex((m) => m.name === name);
  if (i < 0) throw new Error(`no member ${name}`);
  return i;
}

describe('cubic: BTF data sections, externs, programs', () => {
  const btf = btfOf('cubic');
  const uint = btf.findByName('unsigned int', BtfKind.INT)!.id;
  const cubic = (): ObjectBytes => ObjectBytes.fixture('cubic');

  test('the unmodified fixture opens', () => {
    expect(loadObjectSpec(cubic().buf, 'cubic.bpf.o').programs).toHaveLength(7);
  });

  test('a DATASEC without its ELF section', () => {
    const o = cubic();
    o.renameSection('.data', '.dat');
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', object: 'c.bpf.o', typeId: btf.findByName('.data', BtfKind.DATASEC)!.id,
      message: 'c.bpf.o: fix up BTF data sections: BTF DATASEC .data has no ELF section',
    });
  });

  test('a DATASEC entry that is not a VAR', () => {
    const o = cubic();
    setDatasecWord(o, o.btfType('.data', BtfKind.DATASEC), 0, 0, uint);
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', message: `c.bpf.o: fix up BTF data sections: BTF DATASEC .data: entry ${uint} is not a VAR`,
    });
  });

  test('a DATASEC variable without its ELF symbol', () => {
    const o = cubic();
    o.renameSymbol('min_cnt', 'min_cn');
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', section: '.data',
      message: 'c.bpf.o: fix up BTF data sections: BTF DATASEC .data: no ELF symbol for variable min_cnt',
    });
  });

  test('a DATASEC variable past its section end', () => {
    const o = cubic();
    o.setSymbol('epoch_resets', { value: 12 });
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', section: '.data', offset: o.section('.data').offset + 12,
      message: 'c.bpf.o: fix up BTF data sections: variable epoch_resets (12+8) is beyond the end of .data',
    });
  });

  test('an extern without an undefined ELF symbol', () => {
    const o = cubic();
    o.renameSymbol('tcp_slow_start', 'tcp_slow_star');
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', message: 'c.bpf.o: collect externs: extern tcp_slow_start has no undefined ELF symbol',
    });
  });

  test('a .kconfig entry that is not a VAR', () => {
    const o = cubic();
    setDatasecWord(o, o.btfType('.kconfig', BtfKind.DATASEC), 0, 0, uint);
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', typeId: uint, message: `c.bpf.o: collect externs: .kconfig entry ${uint} is not a VAR`,
    });
  });

  test('a .ksyms entry that is neither FUNC nor VAR', () => {
    const o = cubic();
    setDatasecWord(o, o.btfType('.ksyms', BtfKind.DATASEC), 1, 0, uint);
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', typeId: uint, message: `c.bpf.o: collect externs: .ksyms entry ${uint} is neither FUNC nor VAR`,
    });
  });

  test('a code section that is not whole instructions', () => {
    const o = cubic();
    o.setSectionSize('struct_ops/init', 276);
    o.setSymbol('cu_init', { size: 272 });
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', section: 'struct_ops/init', offset: o.section('struct_ops/init').offset,
      message: 'c.bpf.o: collect programs: section struct_ops/init: size 276 is not a multiple of 8',
    });
  });

  test.each([[0, 0], [0, 284], [4, 272], [8, 280]])('a function at %p of size %p', (value, size) => {
    const o = cubic();
    o.setSymbol('cu_init', { value, size });
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', section: 'struct_ops/init', offset: o.section('struct_ops/init').offset + value,
      message: `c.bpf.o: collect programs: function cu_init: bad bounds ${value}+${size} in section struct_ops/init`,
    });
  });

  test('a static program', () => {
    const o = cubic();
    o.setSymbol('cu_init', { bind: STB_LOCAL });
    expect(openError(o, 'c.bpf.o')).toMatchObject({
      code: 'EINVAL', program: 'cu_init', section: 'struct_ops/init',
      message: 'c.bpf.o: collect programs: program cu_init in section struct_ops/init is static; programs must be global',
    });
  });
});

describe('cubic: BTF-defined maps', () => {
  const btf = btfOf('cubic');
  const uint = btf.findByName('unsigned int', BtfKind.INT)!.id;
  const events = btf.findByName('cu_events', BtfKind.VAR)!;
  const eventsDef = btf.resolve((events as { type: number }).type).id;

  function edit(fn: (o: ObjectBytes, def: BtfRecord) => void): BpfError {
    const o = ObjectBytes.fixture('cubic');
    fn(o, o.btf()[eventsDef]);
    return openError(o, 'c.bpf.o');
  }

  test('a definition that is not a struct', () => {
    const err = edit((o) => o.buf.writeUInt32LE(uint, o.btf()[events.id].at + 8));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cu_events', section: '.maps', message: 'c.bpf.o: collect maps: map cu_events: definition is not a struct',
    });
  });

  test('an unknown member', () => {
    // 'value' renamed to the name of the VAR cu_events itself.
    const err = edit((o, def) => setMemberWord(o, def, memberIndex(btf, eventsDef, 'value'), 0, o.buf.readUInt32LE(o.btf()[events.id].at)));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cu_events', member: 'cu_events',
      message: 'c.bpf.o: collect maps: map cu_events: unsupported map definition member cu_events',
    });
  });

  test('no type', () => {
    // 'type' renamed to 'max_entries'.
    const err = edit((o, def) => setMemberWord(o, def, memberIndex(btf, eventsDef, 'type'), 0,
      o.buf.readUInt32LE(def.extra + memberIndex(btf, eventsDef, 'max_entries') * 12)));
    expect(err).toMatchObject({ code: 'EINVAL', map: 'cu_events', message: "c.bpf.o: collect maps: map cu_events: missing 'type'" });
  });

  test("a __uint() that is not a pointer to an array", () => {
    const err = edit((o, def) => setMemberWord(o, def, memberIndex(btf, eventsDef, 'max_entries'), 1, uint));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cu_events', member: 'max_entries',
      message: "c.bpf.o: collect maps: map cu_events: 'max_entries' is not a __uint() value",
    });
  });

  test('a __ulong() enum with more than one value', () => {
    // 'max_entries' becomes 'map_extra' of an enum type with several enumerators.
    const names = ObjectBytes.fixture('cubic');
    const wide = names.btf().find((r) => r !== undefined && r.kind === BtfKind.ENUM && r.vlen > 1)!;
    const err = edit((o, def) => {
      // cubic has no 'map_extra' string: an unrelated member name of the same length gives way.
      const nameOff = o.renameBtfString('cwnd_event', 'map_extra');
      setMemberWord(o, def, memberIndex(btf, eventsDef, 'max_entries'), 1, wide.id);
      setMemberWord(o, def, memberIndex(btf, eventsDef, 'max_entries'), 0, nameOff);
    });
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cu_events', member: 'map_extra',
      message: "c.bpf.o: collect maps: map cu_events: 'map_extra' __ulong() enum must have one value",
    });
  });

  test('a __type() that is not a pointer', () => {
    const err = edit((o, def) => setMemberWord(o, def, memberIndex(btf, eventsDef, 'key'), 1, uint));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cu_events', member: 'key', message: "c.bpf.o: collect maps: map cu_events: 'key' is not a __type() pointer",
    });
  });
});

describe('s11_maps: map-in-map definitions and initial slots', () => {
  const btf = btfOf('s11_maps');
  const varType = (name: string): number => (btf.findByName(name, BtfKind.VAR) as { type: number }).type;
  const outer = btf.resolve(varType('s11_dsqs')).id;
  const inner = btf.resolve(varType('s11_dsq0')).id;
  const uint = btf.findByName('unsigned int', BtfKind.INT)!.id;
  /** The type of member `name` of a struct. */
  const memberType = (structId: number, name: string): number => {
    const t = btf.resolve(structId);
    return t.kind === BtfKind.STRUCT ? t.members.find((m) => m.name === name)!.type : 0;
  };
  /** `struct s11_inner *values[4]` of s11_dsqs. */
  const valuesArray = memberType(outer, 'values');
  /** The array `int (*name)[N]` of a __uint() member, whose nelems is the value. */
  const uintArray = (structId: number, name: string): number => {
    const ptr = btf.resolve(memberType(structId, name));
    return ptr.kind === BtfKind.PTR ? ptr.type : 0;
  };
  const s11 = (): ObjectBytes => ObjectBytes.fixture('s11_maps');

  test('the unmodified fixture has slots 0 and 2', () => {
    const spec = loadObjectSpec(s11().buf, 's11_maps.bpf.o');
    expect(spec.maps.find((m) => m.name === 's11_dsqs')).toMatchObject({ initialSlots: ['s11_dsq0', null, 's11_dsq1'] });
  });

  test('an inner definition with values of its own', () => {
    const o = s11();
    // The PTR of `struct s11_inner *values[4]` points at the outer definition itself.
    const array = btf.resolve(valuesArray);
    const ptr = array.kind === BtfKind.ARRAY ? array.elemType : 0;
    o.buf.writeUInt32LE(outer, o.btf()[ptr].at + 8);
    expect(openError(o, 's.bpf.o')).toMatchObject({
      code: 'EINVAL', map: 's11_dsqs.inner', member: 'values',
      message: "s.bpf.o: collect maps: map s11_dsqs.inner: an inner map definition cannot have 'values' itself",
    });
  });

  test('values on a map that holds no maps', () => {
    const o = s11();
    // ARRAY_OF_MAPS (12) -> ARRAY (2)
    o.buf.writeUInt32LE(2, o.btf()[uintArray(outer, 'type')].extra + 8);
    expect(openError(o, 's.bpf.o')).toMatchObject({
      code: 'EINVAL', map: 's11_dsqs', member: 'values', hint: expect.stringMatching(/PROG_ARRAY/),
      message: "s.bpf.o: collect maps: map s11_dsqs: '__array(values, ...)' is supported for ARRAY_OF_MAPS and HASH_OF_MAPS only",
    });
  });

  test('a map-in-map without its inner definition', () => {
    const o = s11();
    // The inner maps' QUEUE type becomes ARRAY_OF_MAPS: s11_dsq0 (first in .maps) has no values.
    o.buf.writeUInt32LE(12, o.btf()[uintArray(inner, 'type')].extra + 8);
    expect(openError(o, 's.bpf.o')).toMatchObject({
      code: 'EINVAL', map: 's11_dsq0',
      message: 's.bpf.o: collect maps: map s11_dsq0: a map-in-map needs its inner map definition (__array(values, struct ...))',
    });
  });

  test('values that are not an array of pointers', () => {
    const o = s11();
    o.buf.writeUInt32LE(uint, o.btf()[valuesArray].extra);
    expect(openError(o, 's.bpf.o')).toMatchObject({
      code: 'EINVAL', map: 's11_dsqs', member: 'values',
      message: "s.bpf.o: collect maps: map s11_dsqs: 'values' is not an __array() of map definitions",
    });
  });

  describe('.rel.maps', () => {
    const dsqs = parseElf(readFileSync(fixture('s11_maps'))).symbolByName('s11_dsqs')!;

    test('a relocation outside every map-in-map', () => {
      const o = s11();
      o.setRel(o.rels('.rel.maps')[0], { offset: 0 });
      expect(openError(o, 's.bpf.o')).toMatchObject({
        code: 'EINVAL', section: '.rel.maps', offset: 0,
        message: "s.bpf.o: collect maps: .rel.maps: relocation at 0 is not in a map-in-map's values",
      });
    });

    test('a relocation before values[]', () => {
      const o = s11();
      o.setRel(o.rels('.rel.maps')[0], { offset: dsqs.value });
      expect(openError(o, 's.bpf.o')).toMatchObject({
        code: 'EINVAL', section: '.rel.maps', offset: dsqs.value,
        message: `s.bpf.o: collect maps: map s11_dsqs: relocation at ${dsqs.value} is not a values[] slot`,
      });
    });

    test('a slot beyond max_entries', () => {
      const o = s11();
      // max_entries 4 -> 2: slot 2 (s11_dsq1) is out.
      o.buf.writeUInt32LE(2, o.btf()[uintArray(outer, 'max_entries')].extra + 8);
      expect(openError(o, 's.bpf.o')).toMatchObject({
        code: 'EINVAL', section: '.rel.maps',
        message: 's.bpf.o: collect maps: map s11_dsqs: initial slot 2 is beyond max_entries 2',
      });
    });

    test('a slot that points at something other than a map', () => {
      const o = s11();
      o.setRel(o.rels('.rel.maps')[0], { symbol: o.symbol('pcpu_total').index });
      expect(openError(o, 's.bpf.o')).toMatchObject({
        code: 'EINVAL', section: '.rel.maps',
        message: 's.bpf.o: collect maps: map s11_dsqs: slot 0 points at pcpu_total, which is not a map in .maps',
      });
    });
  });
});

describe('cubic: instruction relocations', () => {
  const cubic = (): ObjectBytes => ObjectBytes.fixture('cubic');
  /** .rel.text: [0] ld_imm64 of cube_scale at 184, [4] call of .text at 1024. */
  const relocError = (fn: (o: ObjectBytes) => void): BpfError => {
    const o = cubic();
    fn(o);
    return openError(o, 'c.bpf.o');
  };
  const text = cubic().section('.text').offset;

  test('the relocations the edits start from', () => {
    const o = cubic();
    expect(o.rels('.rel.text').map((r) => r.offset)).toEqual([184, 320, 472, 984, 1024, 1056]);
    expect(o.symbols()[o.rels('.rel.text')[4].symbol].name).toBe('.text');
  });

  test('an unaligned relocation', () => {
    const err = relocError((o) => o.setRel(o.rels('.rel.text')[0], { offset: 185 }));
    expect(err).toMatchObject({
      code: 'EINVAL', section: '.text', offset: text + 185, message: 'c.bpf.o: collect relocations: relocation at unaligned offset 185',
    });
  });

  test('a relocation outside every function', () => {
    const err = relocError((o) => {
      // cube_root_step (1096..1216) loses its last two instructions.
      o.setSymbol('cube_root_step', { size: 104 });
      o.setRel(o.rels('.rel.text')[5], { offset: 1200 });
    });
    expect(err).toMatchObject({
      code: 'EINVAL', section: '.text', offset: text + 1200,
      message: 'c.bpf.o: collect relocations: relocation at insn 150 is outside every function',
    });
  });

  test('an undefined symbol that is no extern', () => {
    const err = relocError((o) => o.setRel(o.rels('.rel.text')[0], { symbol: 0 }));
    expect(err).toMatchObject({
      code: 'EINVAL', section: '.text',
      message: 'c.bpf.o: collect relocations: instruction 23 refers to unknown extern  (not in .kconfig or .ksyms)',
    });
  });

  /** .relstruct_ops/cong_avoid [8]: cu_cong_avoid's call of a .text function (insn 57). */
  const callRel = (o: ObjectBytes) => o.rels('.relstruct_ops/cong_avoid')[8];
  const congAvoid = cubic().section('struct_ops/cong_avoid').offset;

  test('a call of a kconfig extern', () => {
    const err = relocError((o) => o.setRel(callRel(o), { symbol: o.symbol('CONFIG_HZ').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: congAvoid + 456,
      message: 'c.bpf.o: collect relocations: instruction 57 cannot refer to kconfig extern CONFIG_HZ',
    });
  });

  test('a special (SHN_ABS) symbol', () => {
    // The .text section symbol (unnamed once it has no section) is relocated against at 1024.
    const err = relocError((o) => o.setSymbol('.text', { shndx: SHN_ABS }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: text + 1024, message: 'c.bpf.o: collect relocations: relocation against special symbol ',
    });
  });

  test('a call relocated against data', () => {
    const err = relocError((o) => o.setRel(callRel(o), { symbol: o.symbol('cube_scale').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: congAvoid + 456,
      message: 'c.bpf.o: collect relocations: call at insn 57 relocated against non-code symbol cube_scale',
    });
  });

  test('a relocated instruction that is neither ld_imm64 nor call', () => {
    // 192 is the second half of the ld_imm64 at 184.
    const err = relocError((o) => o.setRel(o.rels('.rel.text')[0], { offset: 192 }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: text + 192, message: 'c.bpf.o: collect relocations: relocation at insn 24 is neither ld_imm64 nor call',
    });
  });

  test('a callback address off an instruction', () => {
    // The ld_imm64 of cube_scale against the .text section symbol, with addend (imm) 4.
    const err = relocError((o) => {
      o.setRel(o.rels('.rel.text')[0], { symbol: o.symbol('.text').index });
      o.buf.writeInt32LE(4, text + 184 + 4);
    });
    expect(err).toMatchObject({
      code: 'EINVAL', offset: text + 184, message: 'c.bpf.o: collect relocations: callback address at insn 23 is unaligned',
    });
  });

  test('a .maps symbol that is no map', () => {
    // The .text section symbol moved into .maps: a section symbol, no map variable.
    const err = relocError((o) => {
      const symbol = o.symbol('.text').index;
      o.setSymbol('.text', { shndx: o.section('.maps').index });
      o.setRel(o.rels('.rel.text')[0], { symbol });
    });
    expect(err).toMatchObject({
      code: 'EINVAL', offset: text + 184, message: 'c.bpf.o: collect relocations: instruction 23 refers to unknown map .maps',
    });
  });

  test('a symbol in a section that is neither code, maps nor data', () => {
    const err = relocError((o) => o.setRel(o.rels('.rel.text')[0], { symbol: o.symbol('_license').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: text + 184,
      message: 'c.bpf.o: collect relocations: instruction 23 refers to _license in unsupported section license',
    });
  });
});

describe('cubic: struct_ops variables and their programs', () => {
  const btf = btfOf('cubic');
  const uint = btf.findByName('unsigned int', BtfKind.INT)!.id;
  const ops = btf.findByName('tcp_congestion_ops', BtfKind.STRUCT)!.id;
  const cubic = (): ObjectBytes => ObjectBytes.fixture('cubic');
  const soError = (fn: (o: ObjectBytes) => void): BpfError => {
    const o = cubic();
    fn(o);
    return openError(o, 'c.bpf.o');
  };
  const at = cubic().section('.struct_ops').offset;
  const firstRel = (o: ObjectBytes) => o.rels('.rel.struct_ops')[0];

  test('a struct_ops section without DATASEC', () => {
    // DATASEC and STRUCT records have the same layout: the DATASEC becomes a struct.
    const err = soError((o) => {
      const datasec = o.btfType('.struct_ops', BtfKind.DATASEC);
      o.setBtfKind(datasec, BtfKind.STRUCT);
      o.buf.writeUInt32LE(192, datasec.at + 8);
    });
    expect(err).toMatchObject({
      code: 'EINVAL', section: '.struct_ops',
      message: 'c.bpf.o: collect struct_ops: section .struct_ops has no BTF DATASEC; compile with -g',
    });
  });

  test('a variable that is not a struct', () => {
    const err = soError((o) => o.buf.writeUInt32LE(uint, o.btfType('cubic_legacy', BtfKind.VAR).at + 8));
    expect(err).toMatchObject({
      code: 'EINVAL', section: '.struct_ops', map: 'cubic_legacy',
      message: 'c.bpf.o: collect struct_ops: struct_ops variable cubic_legacy is not a struct',
    });
  });

  test('a variable of an anonymous struct', () => {
    const err = soError((o) => o.buf.writeUInt32LE(0, o.btf()[ops].at));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cubic_legacy', message: 'c.bpf.o: collect struct_ops: struct_ops variable cubic_legacy: anonymous type is not supported',
    });
  });

  test('a variable smaller than its struct', () => {
    const err = soError((o) => setDatasecWord(o, o.btfType('.struct_ops', BtfKind.DATASEC), 0, 2, 100));
    expect(err).toMatchObject({
      code: 'EINVAL', map: 'cubic_legacy', message: 'c.bpf.o: collect struct_ops: struct_ops variable cubic_legacy is beyond the end of .struct_ops',
    });
  });

  test('a relocation outside every variable', () => {
    const err = soError((o) => {
      o.setSectionSize('.struct_ops', 200);
      o.setRel(firstRel(o), { offset: 192 });
    });
    expect(err).toMatchObject({
      code: 'EINVAL', offset: at + 192, message: 'c.bpf.o: collect struct_ops: relocation at 192 is outside every struct_ops variable',
    });
  });

  test('a relocation inside a member', () => {
    const err = soError((o) => o.setRel(firstRel(o), { offset: 4 }));
    expect(err).toMatchObject({
      code: 'EINVAL', offset: at + 4, message: 'c.bpf.o: collect struct_ops: struct_ops cubic_legacy: no member at offset 4',
    });
  });

  test('a member relocated against an undefined symbol', () => {
    const err = soError((o) => o.setRel(firstRel(o), { symbol: o.symbol('CONFIG_HZ').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', member: 'ssthresh', message: 'c.bpf.o: collect struct_ops: struct_ops cubic_legacy.ssthresh: unsupported non-static function',
    });
  });

  test('a member relocated against data', () => {
    const err = soError((o) => o.setRel(firstRel(o), { symbol: o.symbol('init_calls').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', member: 'ssthresh', message: 'c.bpf.o: collect struct_ops: struct_ops cubic_legacy.ssthresh: cannot relocate non func ptr',
    });
  });

  test('a data member relocated against a program', () => {
    const key = btf.memberByName(ops, 'key')!.member.bitOffset / 8;
    const err = soError((o) => o.setRel(firstRel(o), { offset: key }));
    expect(err).toMatchObject({
      code: 'EINVAL', member: 'key', offset: at + key, message: 'c.bpf.o: collect struct_ops: struct_ops cubic_legacy.key is not a function pointer',
    });
  });

  test('a member bound to a function that is no struct_ops program', () => {
    const err = soError((o) => o.setRel(firstRel(o), { symbol: o.symbol('cubic_target').index }));
    expect(err).toMatchObject({
      code: 'EINVAL', member: 'ssthresh',
      message: 'c.bpf.o: collect struct_ops: struct_ops cubic_legacy.ssthresh: cubic_target is not a struct_ops program (use SEC("struct_ops/..."))',
    });
  });
});

describe('a step that fails with something other than a BpfError', () => {
  test('is still a BpfError naming the object and the step, with the original as cause', () => {
    // No known input makes a step throw a plain error; a stand-in step does, to check the
    // wrapper every step runs in (a RangeError from a Buffer read would look the same).
    const boom = new RangeError('offset out of range');
    jest.isolateModules(() => {
      jest.doMock('../../../lib/object/open/externs', () => ({
        collectExterns: () => {
          throw boom;
        },
      }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const open = require('../../../lib/object/open') as typeof import('../../../lib/object/open');
      // The isolated registry has its own copy of the error class.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const errors = require('../../../lib/errors') as typeof import('../../../lib/errors');
      let err: unknown;
      try {
        open.loadObjectSpec(ObjectBytes.fixture('cubic').buf, 'c.bpf.o');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(errors.BpfError);
      expect(err).toMatchObject({ object: 'c.bpf.o', cause: boom, message: 'c.bpf.o: collect externs: offset out of range' });
    });
    jest.dontMock('../../../lib/object/open/externs');
  });
});
