import { readFileSync } from 'node:fs';
import { BpfError } from '../../../lib/errors';
import { loadObjectSpec } from '../../../lib/object';
import { internalMapName } from '../../../lib/object/open/maps';
import { BpfMapType } from '../../../lib/sys/constants';
import { fixture } from '../../helpers/fixtures';

const cubic = readFileSync(fixture('cubic'));

describe('loadObjectSpec (open phase, no kernel)', () => {
  const spec = loadObjectSpec(cubic, 'cubic.bpf.o');

  test('names the object like libbpf and reads the license', () => {
    expect(spec.name).toBe('cubic');
    expect(spec.license).toBe('GPL');
  });

  test('finds every program and the .text subprograms', () => {
    expect(spec.programs.map((p) => p.name).sort()).toEqual(
      ['cu_cong_avoid', 'cu_cwnd_event', 'cu_init', 'cu_pkts_acked', 'cu_set_state', 'cu_ssthresh', 'cu_undo_cwnd'],
    );
    const subprogs = spec.functions.filter((f) => !f.isProgram).map((f) => f.name).sort();
    expect(subprogs).toEqual(expect.arrayContaining(['cube_root', 'cube_root_step', 'cubic_target']));
    expect(spec.programs.every((p) => p.structOps)).toBe(true);
  });

  test('binds struct_ops members to programs through .rel.struct_ops*', () => {
    const legacy = spec.structOps.find((s) => s.name === 'cubic_legacy')!;
    const link = spec.structOps.find((s) => s.name === 'cubic_link')!;
    expect(legacy).toMatchObject({ section: '.struct_ops', link: false, autocreate: true, kernelTypeName: 'tcp_congestion_ops' });
    expect(link).toMatchObject({ section: '.struct_ops.link', link: true });
    expect(Object.fromEntries(legacy.programs)).toEqual({
      init: 'cu_init', ssthresh: 'cu_ssthresh', cong_avoid: 'cu_cong_avoid', undo_cwnd: 'cu_undo_cwnd',
      cwnd_event: 'cu_cwnd_event', set_state: 'cu_set_state', pkts_acked: 'cu_pkts_acked',
    });
    // name member copied from the ELF bytes; fptr slots are zero
    const nameOffset = spec.btf.memberByName(legacy.typeId, 'name')!.member.bitOffset / 8;
    expect(legacy.data.subarray(nameOffset, nameOffset + 9).toString('latin1')).toBe('so_cubic\0');
  });

  test('global data, kconfig and BTF-defined maps carry libbpf names and sizes', () => {
    const byName = new Map(spec.maps.map((m) => [m.name, m]));
    expect(byName.get('.rodata')).toMatchObject({ kernelName: 'cubic.rodata', valueSize: 24, freeze: true, type: BpfMapType.ARRAY });
    expect(byName.get('.data')).toMatchObject({ kernelName: 'cubic.data', valueSize: 16, freeze: false });
    expect(byName.get('.bss')).toMatchObject({ kernelName: 'cubic.bss', valueSize: 1120 });
    expect(byName.get('.kconfig')).toMatchObject({ kernelName: 'cubic.kconfig', kind: 'kconfig', valueSize: 4 });
    expect(byName.get('cu_sk_state')).toMatchObject({ type: BpfMapType.SK_STORAGE, keySize: 4, valueSize: 32, flags: 1 });
    expect(byName.get('cu_events')).toMatchObject({ type: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 });
    expect(byName.get('.rodata')!.initialData!.readUInt32LE(0)).toBe(717);
  });

  test('collects externs and classifies every relocation', () => {
    expect(spec.externs.map((e) => `${e.kind}:${e.name}`).sort()).toEqual(
      ['kconfig:CONFIG_HZ', 'kfunc:tcp_cong_avoid_ai', 'kfunc:tcp_slow_start'],
    );
    const kinds = new Set(spec.functions.flatMap((f) => f.relocations.map((r) => r.kind)));
    expect([...kinds].sort()).toEqual(['call', 'data', 'func_addr', 'kconfig', 'kfunc', 'map']);
  });

  test('fixes DATASEC sizes and VAR offsets from the ELF', () => {
    const bss = spec.btf.findByName('.bss', 'datasec');
    expect(bss).toMatchObject({ size: 1120 });
    const offsets = (bss as { vars: { offset: number }[] }).vars.map((v) => v.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.at(-1)).toBe(1112);
  });

  test('internal map names follow libbpf', () => {
    expect(internalMapName('warn_unused', '.bss')).toBe('warn_unu.bss');
    // the suffix keeps priority: 16 - len('.rodata.str1.1') - 1 = 1 char of prefix
    expect(internalMapName('cubic', '.rodata.str1.1')).toBe('c.rodata.str1.1');
  });

  test('truncated and garbled objects give BpfError, never a crash', () => {
    for (let len = 0; len < cubic.length; len += Math.ceil(cubic.length / 97)) {
      expect(() => loadObjectSpec(cubic.subarray(0, len), 'cut.bpf.o')).toThrow(BpfError);
    }
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 1500; i++) {
      const copy = Buffer.from(cubic);
      for (let j = 0; j < 4; j++) copy[rand() % copy.length] = rand() & 0xff;
      try {
        loadObjectSpec(copy, 'fuzz.bpf.o');
      } catch (err) {
        if (!(err instanceof BpfError)) throw new Error(`iteration ${i}: ${(err as Error).stack}`);
      }
    }
  });

  test('an object without struct_ops BTF says to compile with -g', () => {
    const noBtf = Buffer.from(cubic);
    const idx = noBtf.indexOf('.BTF\0');
    noBtf.write('.XTF', idx, 'latin1');
    expect(() => loadObjectSpec(noBtf, 'nobtf.bpf.o')).toThrow(expect.objectContaining({
      message: expect.stringMatching(/no \.BTF section/), hint: expect.stringMatching(/-g/),
    }));
  });
});
