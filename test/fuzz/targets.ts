import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf, parseBtfExt } from '../../lib/btf';
import { applyCoreRelocations } from '../../lib/core';
import { parseElf } from '../../lib/elf';
import { BpfObject, loadObjectSpec } from '../../lib/object';
import { generateTypes } from '../../lib/cli/gen/types';
import { INSN_SIZE } from '../../lib/asm';
import { findKernelStructOps, planStructOps } from '../../lib/struct-ops';
import type { Hotspot } from './mutate';

/** A fuzz target: feeds one input to a parser; only success or BpfError may come out. */
export interface FuzzTarget {
  name: string;
  seeds: Buffer[];
  /** Byte ranges of the seeds to mutate more often (per seed). */
  hotspots: Hotspot[][];
  run(input: Buffer): void;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

/** Every committed BPF object: the struct_ops fixtures and the parser/CO-RE test objects. */
export function seedObjects(): Buffer[] {
  const files: string[] = [];
  for (const dir of ['bpf', 'elf', 'core']) {
    for (const f of readdirSync(join(FIXTURES, dir))) if (f.endsWith('.o')) files.push(join(FIXTURES, dir, f));
  }
  return files.sort().map((f) => readFileSync(f));
}

function sectionRange(obj: Buffer, name: string): Hotspot | undefined {
  try {
    const s = parseElf(obj).section(name);
    return s && s.size > 0 ? { start: s.offset, end: s.offset + s.size } : undefined;
  } catch {
    return undefined;
  }
}

function sectionBytes(obj: Buffer, name: string): Buffer | undefined {
  try {
    return parseElf(obj).section(name)?.data;
  } catch {
    return undefined;
  }
}

/**
 * The targets of issue 5: ELF, BTF, BTF.ext, openObject's whole open phase, and struct_ops
 * matching plus CO-RE against the running kernel's BTF (pure: creates no kernel objects).
 */
export function fuzzTargets(kernel: Btf | undefined): FuzzTarget[] {
  const objects = seedObjects();
  const hot = (names: string[]): Hotspot[][] =>
    objects.map((o) => names.flatMap((n) => sectionRange(o, n) ?? []));
  const btfs = objects.flatMap((o) => sectionBytes(o, '.BTF') ?? []);
  const exts = objects.flatMap((o) => {
    const btf = sectionBytes(o, '.BTF');
    const ext = sectionBytes(o, '.BTF.ext');
    return btf && ext ? [Buffer.concat([u32(btf.length), btf, ext])] : [];
  });
  const targets: FuzzTarget[] = [
    { name: 'elf', seeds: objects, hotspots: objects.map(() => [{ start: 0, end: 64 }]), run: (b) => void parseElf(b) },
    { name: 'btf', seeds: btfs, hotspots: btfs.map(() => [{ start: 0, end: 32 }]), run: (b) => decodeAll(Btf.parse(b)) },
    {
      name: 'btf.ext',
      seeds: exts,
      hotspots: exts.map(() => []),
      run: (b) => {
        if (b.length < 4) return;
        const n = b.readUInt32LE(0);
        const btf = Btf.parse(b.subarray(4, 4 + Math.min(n, b.length - 4)));
        parseBtfExt(b.subarray(4 + n), (off) => btf.stringAt(off));
      },
    },
    { name: 'openObject', seeds: objects, hotspots: hot(['.BTF', '.BTF.ext', '.symtab', '.struct_ops', '.struct_ops.link']), run: (b) => void loadObjectSpec(b, 'fuzz.bpf.o') },
  ];
  const structOpsSeeds = objects.filter((o) => {
    try {
      return loadObjectSpec(o, 'seed.bpf.o').structOps.length > 0;
    } catch {
      return false;
    }
  });
  const structOpsHot = structOpsSeeds.map((o) => ['.BTF', '.struct_ops', '.struct_ops.link', '.symtab'].flatMap((n) => sectionRange(o, n) ?? []));
  targets.push(
    { name: 'shadow', seeds: structOpsSeeds, hotspots: structOpsHot, run: (b) => exerciseShadow(b) },
    { name: 'gen-types', seeds: structOpsSeeds, hotspots: structOpsHot, run: (b) => void generateTypes(new BpfObject(loadObjectSpec(b, 'fuzz.bpf.o'))) },
  );
  if (kernel) {
    targets.push({
      name: 'planLoad',
      seeds: structOpsSeeds,
      hotspots: structOpsSeeds.map((o) => ['.BTF', '.BTF.ext', '.symtab', '.rel.struct_ops', '.rel.struct_ops.link', '.struct_ops', '.struct_ops.link']
        .flatMap((n) => sectionRange(o, n) ?? [])),
      run: (b) => {
        const obj = new BpfObject(loadObjectSpec(b, 'fuzz.bpf.o'));
        try {
          obj.planLoad();
        } finally {
          obj.close();
        }
      },
    });
    targets.push({
      name: 'match+core',
      seeds: objects,
      hotspots: hot(['.BTF', '.BTF.ext', '.struct_ops', '.struct_ops.link']),
      run: (b) => matchAndRelocate(b, kernel),
    });
  }
  return targets;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function decodeAll(btf: Btf): void {
  for (const t of btf.types()) btf.typeName(t.id);
}

function matchAndRelocate(input: Buffer, kernel: Btf): void {
  const spec = loadObjectSpec(input, 'fuzz.bpf.o');
  for (const s of spec.structOps) {
    const kt = findKernelStructOps(s.kernelTypeName, [{ btf: kernel }]);
    if (kt) planStructOps({ name: s.name, typeId: s.typeId, data: s.data, programs: s.programs }, spec.btf, kt, 'fuzz');
  }
  for (const fn of spec.functions) {
    const start = fn.insnOffset * INSN_SIZE;
    const end = start + fn.insnCount * INSN_SIZE;
    const code = Buffer.from(fn.insns);
    const relos = (spec.btfExt?.coreRelos.get(fn.section) ?? [])
      .filter((r) => r.insnOff >= start && r.insnOff < end)
      .map((r) => ({ ...r, insnOff: r.insnOff - start }));
    if (relos.length > 0) applyCoreRelocations(code, relos, spec.btf, [kernel], { program: fn.name, section: fn.section });
  }
}

/** Every way a user touches a shadow value: keys, reads, writes of what was read, spreading. */
function exerciseShadow(input: Buffer): void {
  const obj = new BpfObject(loadObjectSpec(input, 'fuzz.bpf.o'));
  for (const map of obj.structOps.values()) {
    const value = map.value as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      const v = value[key];
      value[key] = v;
    }
    void JSON.stringify({ ...value }, (_k, x) => (typeof x === 'bigint' ? x.toString() : typeof x === 'object' && x !== null && 'name' in x && !Array.isArray(x) && !Buffer.isBuffer(x) ? String((x as { name: unknown }).name) : x));
  }
}
