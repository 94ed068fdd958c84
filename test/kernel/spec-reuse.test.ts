import { readFileSync } from 'node:fs';
import { dumpStructOps, loadObjectSpec, openObject, type BpfObject } from '../../lib';
import type { StructOpsDataMember } from '../../lib/introspect';
import { testWithLinks } from '../helpers/features';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';
import { specBytes } from '../helpers/spec-bytes';
import { availableCongestionControls } from '../../lib/demo';

/** The `name` member of a registered tcp_congestion_ops, read back from the kernel. */
function registeredName(obj: BpfObject): unknown {
  const dump = dumpStructOps(obj.structOps.get('cubic_link')!.id);
  return (dump.members.find((m) => m.name === 'name') as StructOpsDataMember).value;
}

describeKernel('one ObjectSpec, two loaded objects', () => {
  const objects: BpfObject[] = [];
  afterEach(() => {
    for (const o of objects.splice(0)) o.close();
    expect(availableCongestionControls().filter((n) => n.startsWith('bp_'))).toEqual([]);
  });

  testWithLinks('each registers its own edits (name, globals); the spec is byte-equal afterwards', async () => {
    const spec = loadObjectSpec(readFileSync(fixture('cubic')), 'cubic.bpf.o');
    const before = specBytes(spec);
    const specValueSize = spec.structOps.find((s) => s.name === 'cubic_link')!.data.length;
    const a = await openObject(spec);
    const b = await openObject(spec);
    objects.push(a, b);
    for (const obj of [a, b]) obj.structOps.get('cubic_legacy')!.autocreate = false;
    a.structOps.get('cubic_link')!.value.name = 'bp_cubic_a';
    b.structOps.get('cubic_link')!.value.name = 'bp_cubic_b';
    b.setGlobals('.rodata', { beta: 800 });

    await a.load();
    await b.load();
    for (const obj of [a, b]) await obj.structOps.get('cubic_link')!.attach();

    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['bp_cubic_a', 'bp_cubic_b']));
    expect(registeredName(a)).toBe('bp_cubic_a');
    expect(registeredName(b)).toBe('bp_cubic_b');
    // .rodata as the kernel holds it (frozen map), read through each object.
    expect(a.readGlobals('.rodata').beta).toBe(717);
    expect(b.readGlobals('.rodata').beta).toBe(800);
    // The kernel value size lives on each loaded map; the spec keeps the variable's size.
    const kernelSize = a.structOps.get('cubic_link')!.info().valueSize;
    expect(a.structOps.get('cubic_link')!.valueSize).toBe(kernelSize);
    expect(kernelSize).not.toBe(specValueSize);
    expect(spec.structOps.find((s) => s.name === 'cubic_link')!.data.length).toBe(specValueSize);

    const after = specBytes(spec);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [path, bytes] of before) expect({ path, bytes: after.get(path) }).toEqual({ path, bytes });

    // And a third object from the same spec loads the file's values.
    const c = await openObject(spec);
    objects.push(c);
    c.structOps.get('cubic_legacy')!.autocreate = false;
    c.structOps.get('cubic_link')!.autocreate = false;
    await c.load();
    expect(c.readGlobals('.rodata').beta).toBe(717);
  });
});
