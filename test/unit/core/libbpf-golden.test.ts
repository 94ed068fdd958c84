/**
 * Byte-for-byte comparison with libbpf: test/fixtures/core/libbpf-golden.json holds what the
 * system libbpf produced for every program of core_local.bpf.o relocated against
 * core_target.o (generator: test/fixtures/core/libbpf-golden.c). read_amb is absent there:
 * libbpf fails the whole object on that ambiguity, we poison the one instruction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCoreRelocations } from '../../../lib/core';
import { FIXTURES, loadFixture } from './fixture';

const golden = JSON.parse(readFileSync(join(FIXTURES, 'libbpf-golden.json'), 'utf8')) as Record<string, string>;
const local = loadFixture('core_local.bpf.o');
const target = loadFixture('core_target.o');
const programs = Object.keys(golden).filter((k) => k !== 'libbpf');

describe(`same instructions as libbpf ${golden.libbpf}`, () => {
  it('covers every program but read_amb', () => {
    const sections = [...local.relos.keys()].map((s) => s.replace('core/', ''));
    expect(sections.filter((s) => s !== 'read_amb').sort()).toEqual([...programs].sort());
  });

  it.each(programs)('%s', (name) => {
    const section = `core/${name}`;
    const insns = local.section(section);
    applyCoreRelocations(insns, local.relos.get(section)!, local.btf, [target.btf], { program: name, section });
    expect(insns.toString('hex')).toBe(golden[name]);
  });
});
