/**
 * An ObjectSpec is a blueprint shared by every object opened from it (no kernel): what an
 * object or its user is handed of the spec cannot be changed through, so a second object
 * opened from the same spec starts from the file's contents whatever the first one did.
 * Covers what spec-reuse.test.ts does not: the decoded BTF types (frozen as they are handed
 * out), the .BTF.ext records, and BpfMap.initialData / arenaGlobalsData (copies).
 */
import { readFileSync } from 'node:fs';
import { BtfKind, loadObjectSpec, openObject, type ObjectSpec } from '../../lib';
import type { BtfComposite, BtfDatasec, BtfEnum, BtfFuncProto } from '../../lib/btf';
import { ARENA_FIXTURE, ARENA_VARS } from '../helpers/arena';
import { fixture } from '../helpers/fixtures';

function cubicSpec(): ObjectSpec {
  return loadObjectSpec(readFileSync(fixture('cubic')), 'cubic.bpf.o');
}

describe('BTF types handed out by a spec are frozen', () => {
  test('a struct\'s fields and members refuse writes; a second object keeps the member names its shadow value uses', async () => {
    const spec = cubicSpec();
    const a = await openObject(spec);
    const typeId = spec.structOps.find((s) => s.name === 'cubic_link')!.typeId;
    // The same type reached three ways: by id, by name, and through a map of the object.
    const ops = a.spec.btf.typeById(typeId) as BtfComposite;
    expect(a.spec.btf.findByName('tcp_congestion_ops', BtfKind.STRUCT)).toBe(ops);
    expect(a.maps.get('.rodata')!.btf!.typeById(typeId)).toBe(ops);
    const nameMember = ops.members.find((m) => m.name === 'name')!;

    expect(() => { nameMember.name = 'renamed'; }).toThrow(TypeError);
    expect(() => { (ops as { size: number }).size = 1; }).toThrow(TypeError);
    expect(() => { ops.members.pop(); }).toThrow(TypeError);
    expect(() => { ops.members[0] = nameMember; }).toThrow(TypeError);
    expect(() => { (ops as { name: string }).name = 'other_ops'; }).toThrow(TypeError);

    const b = await openObject(spec);
    expect(b.structOps.get('cubic_link')!.value.name).toBe('so_cubic_lnk');
    expect(b.spec.btf.typeById(typeId)).toMatchObject({ name: 'tcp_congestion_ops', size: ops.size });
  });

  test('DATASEC entries, enumerators and parameters refuse writes; a second object reads its globals where the file has them', async () => {
    const spec = cubicSpec();
    const a = await openObject(spec);
    const rodata = a.spec.btf.findByName('.rodata', BtfKind.DATASEC) as BtfDatasec;
    const first = rodata.vars.reduce((x, y) => (x.offset <= y.offset ? x : y));
    expect(() => { (first as { offset: number }).offset += 4; }).toThrow(TypeError);
    expect(() => { rodata.vars.reverse(); }).toThrow(TypeError);

    const types = [...a.spec.btf.types()];
    const anEnum = types.find((t): t is BtfEnum => t.kind === BtfKind.ENUM && t.values.length > 0)!;
    expect(() => { anEnum.values[0].value = 42; }).toThrow(TypeError);
    const proto = types.find((t): t is BtfFuncProto => t.kind === BtfKind.FUNC_PROTO && t.params.length > 0)!;
    expect(() => { proto.params[0].type = 0; }).toThrow(TypeError);
    expect(types.every((t) => Object.isFrozen(t))).toBe(true);

    const b = await openObject(spec);
    expect(b.readGlobals('.rodata')).toMatchObject({ beta: 717, cube_scale: 40, fast_convergence: true });
  });

  test('.BTF.ext records and their Maps refuse changes', () => {
    const spec = cubicSpec();
    const ext = spec.btfExt!;
    const [section, lines] = [...ext.lineInfo][0];
    expect(() => { lines[0].insnOff += 8; }).toThrow(TypeError);
    expect(() => { lines.pop(); }).toThrow(TypeError);
    expect(() => ext.funcInfo.delete(section)).toThrow(/read-only/);
    expect(() => { (ext as { lineInfoRecSize: number }).lineInfoRecSize = 0; }).toThrow(TypeError);
    expect(ext.lineInfo.get(section)).toHaveLength(lines.length);
  });
});

describe('a map\'s initial bytes are a copy', () => {
  test('writing to initialData changes neither the spec, nor this object, nor a second one', async () => {
    const spec = cubicSpec();
    const a = await openObject(spec);
    const rodata = a.maps.get('.rodata')!;
    rodata.initialData!.writeUInt32LE(999, 0); // beta @0
    expect(spec.maps.find((m) => m.name === '.rodata')!.initialData!.readUInt32LE(0)).toBe(717);
    expect(a.readGlobals('.rodata').beta).toBe(717);
    expect((await openObject(spec)).readGlobals('.rodata').beta).toBe(717);

    // After an edit the object's own bytes are handed out as a copy too.
    a.setGlobals('.rodata', { beta: 800 });
    rodata.initialData!.writeUInt32LE(999, 0);
    expect(a.readGlobals('.rodata').beta).toBe(800);
    expect(rodata.initialData!.readUInt32LE(0)).toBe(800);
    expect((await openObject(spec)).readGlobals('.rodata').beta).toBe(717);
  });

  test('writing to an arena map\'s arenaGlobalsData changes neither the spec nor a second object', async () => {
    const spec = loadObjectSpec(readFileSync(ARENA_FIXTURE), 's11arena.bpf.o', { pageSize: 4096 });
    const a = await openObject(spec);
    const arena = a.maps.get('arena_pages')!;
    arena.arenaGlobalsData!.writeUInt32LE(1, ARENA_VARS.arena_magic);
    expect(spec.maps.find((m) => m.name === 'arena_pages')!.arenaGlobals!.initialData.readUInt32LE(ARENA_VARS.arena_magic)).toBe(0x5a11a7e1);
    expect(a.readGlobals('.addr_space.1').arena_magic).toBe(0x5a11a7e1);
    expect((await openObject(spec)).readGlobals('.addr_space.1').arena_magic).toBe(0x5a11a7e1);
  });
});
