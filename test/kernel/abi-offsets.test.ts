/**
 * Every offset in lib/sys/abi.generated.ts against the running kernel's
 * /sys/kernel/btf/vmlinux, read through lib/btf (a parser independent of the generator's).
 * A member the kernel has must sit at the same offset with the same size; a member it
 * lacks (an older kernel) must lie past the kernel's struct, as UAPI structs only grow.
 */
import type { Btf, BtfComposite } from '../../lib/btf';
import { BtfKind, loadKernelBtf } from '../../lib/btf';
import * as ABI from '../../lib/sys/abi.generated';
import { describeKernel } from '../helpers/kernel';

type Member = { offset: number; size: number } | { bitOffset: number; bitSize: number };
type Layout = { size: number; fields: Record<string, Member> };

function composite(btf: Btf, id: number): BtfComposite | undefined {
  const t = btf.resolve(id);
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION ? t : undefined;
}

/** The live kernel's flattened members (same rules as the generator). */
function flatten(btf: Btf, c: BtfComposite, baseBits: number, prefix: string, out: Map<string, Member>): void {
  for (const m of c.members) {
    const bits = baseBits + m.bitOffset;
    const inner = composite(btf, m.type);
    if (m.name === '') {
      if (inner) flatten(btf, inner, bits, prefix, out);
      continue;
    }
    const name = prefix + m.name;
    if (m.bitfieldSize !== 0) {
      out.set(name, { bitOffset: bits, bitSize: m.bitfieldSize });
      continue;
    }
    out.set(name, { offset: bits / 8, size: btf.sizeOf(m.type) });
    if (inner) flatten(btf, inner, bits, `${name}.`, out);
  }
}

function liveLayout(btf: Btf, c: BtfComposite): { size: number; fields: Map<string, Member> } {
  const fields = new Map<string, Member>();
  flatten(btf, c, 0, '', fields);
  return { size: c.size, fields };
}

function startBits(m: Member): number {
  return 'offset' in m ? m.offset * 8 : m.bitOffset;
}

function endBits(m: Member): number {
  return 'offset' in m ? (m.offset + m.size) * 8 : m.bitOffset + m.bitSize;
}

/**
 * Differences that would break a command on the running kernel. A member both layouts have
 * must agree in place and size; only a struct or union member (one with members of its own,
 * e.g. bpf_link_info.raw_tracepoint gaining `cookie`) may differ in size, as UAPI aggregates
 * grow at their end. A member the kernel lacks (the kernel is older) must not take bytes the
 * kernel uses for something else: it lies past the kernel's struct, in its padding, or on a
 * member the generated layout overlaps as well (a union arm the kernel does not have yet).
 */
function compare(what: string, generated: Layout, live: { size: number; fields: Map<string, Member> }): string[] {
  const problems: string[] = [];
  const aggregate = (fields: Iterable<string>, name: string) => [...fields].some((f) => f.startsWith(`${name}.`));
  for (const [name, member] of Object.entries(generated.fields)) {
    const have = live.fields.get(name);
    if (have === undefined) {
      const [s, e] = [startBits(member), endBits(member)];
      for (const [liveName, liveMember] of live.fields) {
        const overlaps = startBits(liveMember) < e && s < endBits(liveMember);
        if (!overlaps || liveName === name || name.startsWith(`${liveName}.`)) continue;
        if (!(liveName in generated.fields)) {
          problems.push(`${what}.${name}: takes bits ${s}-${e} where the kernel has ${liveName}, which the generated layout lacks`);
        }
      }
      continue;
    }
    const sameStart = startBits(have) === startBits(member);
    const sameSize = JSON.stringify(have) === JSON.stringify(member);
    if (!sameStart || (!sameSize && !(aggregate(Object.keys(generated.fields), name) && aggregate(live.fields.keys(), name)))) {
      problems.push(`${what}.${name}: generated ${JSON.stringify(member)}, kernel ${JSON.stringify(have)}`);
    }
  }
  return problems;
}

/** The live command struct for a generated command name (anonymous ones by first member). */
function liveCommands(btf: Btf): Map<string, BtfComposite> {
  const attr = btf.findByName('bpf_attr', BtfKind.UNION) as BtfComposite;
  const anonymous: Record<string, string> = {
    map_type: 'map_create', map_fd: 'map_elem', prog_type: 'prog_load', pathname: 'obj',
    target_fd: 'prog_attach', start_id: 'get_id', btf: 'btf_load',
  };
  const byName = new Map<string, BtfComposite>();
  for (const m of attr.members) {
    const c = composite(btf, m.type)!;
    const live = liveLayout(btf, c);
    const first = [...live.fields.keys()][0] ?? '';
    byName.set(m.name !== '' ? m.name : (anonymous[first] ?? `?${first}`), c);
  }
  return byName;
}

describeKernel('generated ABI offsets match the running kernel', () => {
  const btf = loadKernelBtf();

  test('union bpf_attr: every command struct and member', () => {
    const live = liveCommands(btf);
    const problems: string[] = [];
    let checked = 0;
    for (const [name, layout] of Object.entries(ABI.BPF_ATTR as unknown as Record<string, Layout>)) {
      const c = live.get(name);
      // A command struct newer than the running kernel is fine; one it has must agree.
      if (c === undefined) continue;
      problems.push(...compare(`bpf_attr.${name}`, layout, liveLayout(btf, c)));
      checked += Object.keys(layout.fields).length;
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(150);
    expect(live.has('prog_load') && live.has('map_create') && live.has('link_create')).toBe(true);
    // The union holds every command struct the kernel has; older kernels have a smaller one
    // (6.1: 144 bytes, 6.12: 152) than the generated prog_load (168), which compare() allows.
    const attr = btf.findByName('bpf_attr', BtfKind.UNION) as BtfComposite;
    expect(attr.size).toBeGreaterThanOrEqual(Math.max(...[...live.values()].map((c) => c.size)));
    if (attr.size < ABI.BPF_ATTR.prog_load.size) {
      // The generated prog_load's members past the kernel's union are ones this kernel lacks.
      const tail = Object.entries(ABI.BPF_ATTR.prog_load.fields as Record<string, Member>).filter(([, m]) => endBits(m) > attr.size * 8);
      expect(tail.filter(([n]) => liveLayout(btf, live.get('prog_load')!).fields.has(n))).toEqual([]);
    }
  });

  test.each([
    ['bpf_map_info', ABI.BPF_MAP_INFO],
    ['bpf_prog_info', ABI.BPF_PROG_INFO],
    ['bpf_link_info', ABI.BPF_LINK_INFO],
    ['bpf_btf_info', ABI.BPF_BTF_INFO],
    ['bpf_insn', ABI.BPF_INSN],
    ['bpf_func_info', ABI.BPF_FUNC_INFO],
    ['bpf_line_info', ABI.BPF_LINE_INFO],
  ])('struct %s', (name, layout) => {
    const c = btf.findByName(name, BtfKind.STRUCT) as BtfComposite | undefined;
    expect(c).toBeDefined();
    expect(compare(name, layout as unknown as Layout, liveLayout(btf, c!))).toEqual([]);
  });

  test.each([
    ['bpf_cmd', ABI.BPF_CMD],
    ['bpf_map_type', ABI.BPF_MAP_TYPE],
    ['bpf_prog_type', ABI.BPF_PROG_TYPE],
    ['bpf_attach_type', ABI.BPF_ATTACH_TYPE],
    ['bpf_link_type', ABI.BPF_LINK_TYPE],
  ])('enum %s values', (name, values) => {
    const e = btf.findByName(name, BtfKind.ENUM);
    expect(e?.kind).toBe(BtfKind.ENUM);
    const live = new Map((e as { values: { name: string; value: number | bigint }[] }).values.map((v) => [v.name, Number(v.value)]));
    const wrong = Object.entries(values as Record<string, number>)
      .filter(([n, v]) => !n.startsWith('__MAX') && live.has(n) && live.get(n) !== v)
      .map(([n, v]) => `${n}: generated ${v}, kernel ${live.get(n)}`);
    expect(wrong).toEqual([]);
  });
});
