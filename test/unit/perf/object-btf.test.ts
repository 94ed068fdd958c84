import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_BTF_FEATURES, Btf, BtfBuilder, BtfKind, BtfPatch, type BtfComposite, BTF_FUNC_EXTERN, BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_INT_SIGNED,
  BTF_VAR_GLOBAL_ALLOCATED,
} from '../../../lib/btf';
import { parseElf, STV_HIDDEN, STV_INTERNAL, type ElfFile } from '../../../lib/elf';
import { planDataResize } from '../../../lib/object/data-resize';
import { encodeObjectBtf } from '../../../lib/object/load/object-btf';
import { loadObjectSpec } from '../../../lib/object/open';
import type { ObjectSpec } from '../../../lib/object/spec';

/** The same fix-ups done the slow way: deep copy of every type, everything encoded again. */
function referenceEncode(spec: ObjectSpec, elf: ElfFile): Buffer {
  const b = new BtfBuilder(spec.btf);
  let intId = 0;
  let dummyId = 0;
  const intType = (): number =>
    (intId ||= b.addType({ kind: BtfKind.INT, nameOff: 0, name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 }));
  for (const t of b.types) {
    if (t.kind !== BtfKind.DATASEC || t.name !== '.ksyms') continue;
    t.vars.forEach((entry, i) => {
      const target = b.types[entry.type];
      if (target.kind === BtfKind.FUNC) {
        if (dummyId === 0) {
          const nameOff = b.addString('dummy_ksym');
          dummyId = b.addType({ kind: BtfKind.VAR, nameOff, name: 'dummy_ksym', type: intType(), linkage: BTF_VAR_GLOBAL_ALLOCATED });
        }
        entry.type = dummyId;
      } else if (target.kind === BtfKind.VAR) {
        target.type = intType();
        target.linkage = BTF_VAR_GLOBAL_ALLOCATED;
      }
      entry.offset = i * 4;
      entry.size = 4;
    });
    t.size = t.vars.length * 4;
  }
  for (const t of b.types) {
    if (t.kind !== BtfKind.FUNC) continue;
    if (t.linkage === BTF_FUNC_EXTERN) {
      t.linkage = BTF_FUNC_GLOBAL;
      const proto = b.types[t.type];
      if (proto.kind === BtfKind.FUNC_PROTO) {
        for (const q of proto.params) if (q.name === '' && q.type !== 0) q.name = 'dummy_ksym';
      }
    } else if (t.linkage === BTF_FUNC_GLOBAL) {
      const sym = elf.symbolByName(t.name);
      if (sym && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL)) t.linkage = BTF_FUNC_STATIC;
    }
  }
  return b.encode();
}

const FIXTURES = join(__dirname, '../../fixtures/bpf');
const objects = readdirSync(FIXTURES).filter((f) => f.endsWith('.bpf.o'));

describe('encodeObjectBtf (copy-on-write)', () => {
  it.each(objects)('%s: same bytes as re-encoding every type, and leaves the spec alone', (file) => {
    let spec: ObjectSpec;
    let elf: ElfFile;
    try {
      const bytes = readFileSync(join(FIXTURES, file));
      spec = loadObjectSpec(bytes, file);
      elf = parseElf(bytes, file);
    } catch {
      return; // fixtures that are bad on purpose
    }
    let want: Buffer | undefined;
    try {
      want = referenceEncode(spec, elf);
    } catch {
      expect(() => encodeObjectBtf(spec)).toThrow();
      return;
    }
    const before = [...spec.btf.types()].map((t) => structuredClone(t));
    const got = encodeObjectBtf(spec);
    expect(got.equals(want)).toBe(true);
    expect([...spec.btf.types()]).toEqual(before);
    expect(encodeObjectBtf(spec).equals(got)).toBe(true);
    // And the result parses as BTF with the same number of types.
    expect(Btf.parse(got).typeCount).toBe(Btf.parse(want).typeCount);
  });
});

describe('BtfPatch', () => {
  const spec = loadObjectSpec(readFileSync(join(FIXTURES, 'cubic.bpf.o')), 'cubic.bpf.o');
  const btf = spec.btf;

  it('encodes the original bytes when nothing is edited', () => {
    expect(new BtfPatch(Btf.parse(btf.raw)).encode().equals(btf.raw)).toBe(true);
  });

  it('edits a copy, resizes records, renames, and appends types and strings', () => {
    const fresh = Btf.parse(btf.raw);
    const p = new BtfPatch(fresh);
    const struct = [...fresh.types()].find((t): t is BtfComposite => t.kind === BtfKind.STRUCT && t.members.length > 1)!;
    const e = p.edit(struct.id);
    if (e.kind !== BtfKind.STRUCT) throw new Error('not a struct');
    expect(e).not.toBe(struct);
    e.members.pop();
    e.name = 'renamed_struct';
    const intId = p.addType({ kind: BtfKind.INT, nameOff: 0, name: 'my_new_int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
    expect(p.typeCount).toBe(fresh.typeCount + 1);
    expect(p.type(intId).name).toBe('my_new_int');
    expect(p.addString('renamed_struct')).toBe(p.addString('renamed_struct'));
    expect(p.addString(fresh.typeById(1).name || 'int')).toBeLessThan(fresh.stringsLength);
    const out = Btf.parse(p.encode());
    expect(fresh.typeById(struct.id)).toEqual(struct); // the parsed BTF is untouched
    expect(out.typeCount).toBe(fresh.typeCount + 1);
    const got = out.typeById(struct.id);
    expect(got).toMatchObject({ name: 'renamed_struct', members: struct.members.slice(0, -1).map((m) => ({ name: m.name })) });
    expect(out.typeById(intId)).toMatchObject({ kind: BtfKind.INT, name: 'my_new_int' });
    for (let id = 1; id < fresh.typeCount; id++) {
      if (id !== struct.id) expect(out.typeById(id)).toEqual({ ...fresh.typeById(id), nameOff: expect.any(Number) });
    }
    expect(() => p.addString('a\0b')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => p.edit(0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('encodeObjectBtf of one frozen spec, again (kept per spec)', () => {
  const load = (name: string): ObjectSpec => loadObjectSpec(readFileSync(join(FIXTURES, `${name}.bpf.o`)), `${name}.bpf.o`);

  it('gives the same bytes in a fresh Buffer each time: a caller writing into its copy changes no other', () => {
    const spec = load('cubic');
    expect(Object.isFrozen(spec)).toBe(true);
    const first = encodeObjectBtf(spec);
    const want = Buffer.from(first);
    first.fill(0xff);
    const second = encodeObjectBtf(spec);
    expect(second).not.toBe(first);
    expect(second.equals(want)).toBe(true);
    second.fill(0xee);
    expect(encodeObjectBtf(spec).equals(want)).toBe(true);
  });

  it('encodes again for other features: a sanitized encoding is not the full one, nor the other way round', () => {
    const spec = load('cubic');
    const old = { ...ALL_BTF_FEATURES, float: false, enum64: false, qmarkDatasec: false, datasec: false, func: false };
    const full = encodeObjectBtf(spec);
    const sanitized = encodeObjectBtf(spec, old);
    expect(sanitized.equals(full)).toBe(false);
    expect(sanitized.equals(encodeObjectBtf(load('cubic'), old))).toBe(true);
    expect(encodeObjectBtf(spec).equals(full)).toBe(true);
    expect(encodeObjectBtf(spec, old).equals(sanitized)).toBe(true);
  });

  it('encodes again when sections are resized: the resized DATASEC is in those bytes only', () => {
    const spec = load('s10a_resize');
    const plain = encodeObjectBtf(spec);
    const resize = planDataResize(spec.btf, '.data.s10a_buf', 4 + 4096, 'o');
    const resized = encodeObjectBtf(spec, ALL_BTF_FEATURES, [resize]);
    const sec = (raw: Buffer) => [...Btf.parse(raw).types()].find((t) => t.kind === BtfKind.DATASEC && t.name === '.data.s10a_buf');
    expect(sec(resized)).toMatchObject({ size: 4100 });
    expect(sec(plain)).toMatchObject({ size: 20 });
    expect(sec(encodeObjectBtf(spec))).toMatchObject({ size: 20 });
  });
});
