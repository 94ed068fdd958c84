import { readFileSync } from 'node:fs';
import { Btf, BtfKind, loadObjectSpec, openObject, type ObjectSpec } from '../../../lib';
import { fixture } from '../../helpers/fixtures';
import { specBytes } from '../../helpers/spec-bytes';

function cubicSpec(): ObjectSpec {
  return loadObjectSpec(readFileSync(fixture('cubic')), 'cubic.bpf.o');
}

describe('ObjectSpec is an immutable blueprint (no kernel)', () => {
  test('open returns a frozen spec: records, arrays and Maps refuse changes', () => {
    const spec = cubicSpec();
    const link = spec.structOps.find((s) => s.name === 'cubic_link')!;
    expect(Object.isFrozen(spec)).toBe(true);
    expect(() => { (spec.maps as unknown[]).push({}); }).toThrow(TypeError);
    expect(() => { (spec.maps[0] as { valueSize: number }).valueSize = 1; }).toThrow(TypeError);
    expect(() => { (spec.programs[0] as { name: string }).name = 'x'; }).toThrow(TypeError);
    expect(() => { (spec.programs[0].relocations as unknown[]).push({}); }).toThrow(TypeError);
    expect(() => { (link as { autocreate: boolean }).autocreate = false; }).toThrow(TypeError);
    expect(() => link.programs.set('init', 'cu_ssthresh')).toThrow(/read-only/);
    expect(() => link.programs.delete('init')).toThrow(/read-only/);
    expect(link.programs.get('init')).toBe('cu_init');
  });

  test('two objects from one spec keep their edits to themselves; the spec bytes stay as parsed', async () => {
    const spec = cubicSpec();
    const before = specBytes(spec);
    const a = await openObject(spec);
    const b = await openObject(spec);
    expect(a.spec).toBe(spec);
    expect(b.spec).toBe(spec);

    b.structOps.get('cubic_link')!.value.name = 'bp_cubic_b';
    b.structOps.get('cubic_link')!.value.flags = 1;
    b.setGlobals('.rodata', { beta: 800 });
    b.setGlobals('.data', { epoch_resets: 5n });
    b.structOps.get('cubic_legacy')!.autocreate = false;
    b.programs.get('cu_init')!.autoload = false;

    expect(a.structOps.get('cubic_link')!.value.name).toBe('so_cubic_lnk');
    expect(a.structOps.get('cubic_link')!.value.flags).toBe(0);
    expect(a.readGlobals('.rodata').beta).toBe(717);
    expect(a.readGlobals('.data').epoch_resets).toBe(100n);
    expect(a.structOps.get('cubic_legacy')!.autocreate).toBe(true);
    expect(a.programs.get('cu_init')!.autoload).toBeUndefined();

    expect(b.structOps.get('cubic_link')!.value.name).toBe('bp_cubic_b');
    expect(b.readGlobals('.rodata').beta).toBe(800);
    expect(b.readGlobals('.data').epoch_resets).toBe(5n);
    // A third object opened after the edits starts from the file's values again.
    const c = await openObject(spec);
    expect(c.structOps.get('cubic_link')!.value.name).toBe('so_cubic_lnk');
    expect(c.readGlobals('.rodata').beta).toBe(717);

    const after = specBytes(spec);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, bytes] of before) expect({ path, bytes: after.get(path) }).toEqual({ path, bytes });
    expect(before.size).toBeGreaterThan(spec.functions.length); // instructions, images, data were all compared
  });

  test('openObject takes only a spec from loadObjectSpec', async () => {
    const spec = cubicSpec();
    await expect(openObject({ ...spec })).rejects.toMatchObject({ code: 'EINVAL', hint: expect.stringContaining('loadObjectSpec') });
  });

  test('the spec holds no ELF file, and its BTF bytes carry the open-phase fix-ups', () => {
    const spec = cubicSpec();
    expect(Object.keys(spec)).not.toContain('elf');
    // clang writes DATASEC sizes and VAR offsets as zero; the open phase fills them in.
    const fromBytes = Btf.parse(spec.btf.raw);
    const rodata = fromBytes.findByName('.rodata', BtfKind.DATASEC);
    if (rodata?.kind !== BtfKind.DATASEC) throw new Error('no .rodata DATASEC');
    expect(rodata.size).toBe(spec.maps.find((m) => m.name === '.rodata')!.valueSize);
    expect(rodata.vars.map((v) => v.offset)).toEqual(
      (spec.btf.findByName('.rodata', BtfKind.DATASEC) as typeof rodata).vars.map((v) => v.offset));
    expect(rodata.vars.some((v) => v.offset > 0)).toBe(true);
  });
});
