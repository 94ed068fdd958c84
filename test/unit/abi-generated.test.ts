/**
 * The generated ABI files are current: regenerating them from the committed BTF fixture
 * gives the committed bytes, and the TS field tables and native rows read from them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSN_SIZE } from '../../lib/asm';
import { BPF_ATTR, BPF_CMD, BPF_INSN, BPF_MAP_TYPE, BPF_PROG_INFO } from '../../lib/sys/abi.generated';
import { BpfCmd, BpfMapType } from '../../lib/sys/constants';
import { encodeProgLoadAttr } from '../../lib/sys/prog-load';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require('../../scripts/gen-abi.js') as {
  generateFromFixture(): Record<string, string>;
  TS_OUT: string;
  HEADER_OUT: string;
};
const ROOT = join(__dirname, '..', '..');

describe('scripts/gen-abi.js', () => {
  const outputs = gen.generateFromFixture();

  test.each([gen.TS_OUT, gen.HEADER_OUT])('%s is what the generator writes from the fixture', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(outputs[file]);
  });

  test('every union bpf_attr command struct is emitted, anonymous ones by their command', () => {
    expect(Object.keys(BPF_ATTR)).toEqual(
      expect.arrayContaining(['map_create', 'map_elem', 'batch', 'prog_load', 'obj', 'prog_attach', 'test', 'get_id',
        'info', 'query', 'raw_tracepoint', 'btf_load', 'task_fd_query', 'link_create', 'link_update', 'link_detach',
        'enable_stats', 'iter_create', 'prog_bind_map', 'token_create']),
    );
    // Nested named members keep their path; anonymous unions are flattened.
    expect(BPF_ATTR.link_create.fields['tracing.cookie']).toEqual({ offset: 24, size: 8 });
    expect(BPF_ATTR.map_elem.fields.next_key).toEqual(BPF_ATTR.map_elem.fields.value);
    expect(BPF_PROG_INFO.fields.gpl_compatible).toEqual({ bitOffset: expect.any(Number), bitSize: 1 });
  });

  test('the native header is what commands.cc, map_sizes.cc, obj_info.cc and prog_load.cc include', () => {
    for (const f of ['commands.h', 'commands.cc', 'map_sizes.cc', 'obj_info.cc', 'prog_load.cc']) {
      expect(readFileSync(join(ROOT, 'native', f), 'utf8')).toContain('#include "abi_generated.h"');
    }
    const header = outputs[gen.HEADER_OUT];
    expect(header).toContain(`constexpr uint16_t kSize = ${BPF_ATTR.prog_load.size};`);
    expect(header).toContain(`constexpr uint32_t BPF_PROG_LOAD = ${BPF_CMD.BPF_PROG_LOAD};`);
  });

  test('the instruction size of lib/asm (8) is struct bpf_insn of the generated ABI', () => {
    expect(BPF_INSN.size).toBe(8);
    expect(INSN_SIZE).toBe(BPF_INSN.size);
  });

  test('hand-written enums in lib/sys/constants.ts agree with the generated ones', () => {
    // Commands newer than the kernel the ABI fixture was cut from (Linux 6.18), each with
    // its value from the UAPI header: the only ones that may be absent from the fixture.
    const newerThanFixture: Record<string, number> = { PROG_ASSOC_STRUCT_OPS: 38 };
    for (const [name, value] of Object.entries(BpfCmd)) {
      if (typeof value !== 'number') continue;
      const generated = (BPF_CMD as Record<string, number>)[`BPF_${name}`];
      expect([name, value]).toEqual([name, generated ?? newerThanFixture[name]]);
    }
    for (const [name, value] of Object.entries(BpfMapType)) {
      if (typeof value !== 'number') continue;
      expect([name, value]).toEqual([name, (BPF_MAP_TYPE as Record<string, number>)[`BPF_MAP_TYPE_${name}`]]);
    }
  });

  test('PROG_LOAD attr bytes put each value at the generated offset', () => {
    const F = BPF_ATTR.prog_load.fields;
    const { attr } = encodeProgLoadAttr({ progType: 7, insns: Buffer.alloc(24), license: 'GPL', attachBtfId: 99, expectedAttachType: 3 });
    expect(attr.length).toBe(BPF_ATTR.prog_load.size);
    expect(attr.readUInt32LE(F.prog_type.offset)).toBe(7);
    expect(attr.readUInt32LE(F.insn_cnt.offset)).toBe(3);
    expect(attr.readUInt32LE(F.attach_btf_id.offset)).toBe(99);
    expect(attr.readUInt32LE(F.expected_attach_type.offset)).toBe(3);
  });
});
