/**
 * Rules of the load phase's subprograms and fix-ups that an object can break without a kernel
 * (rule deletion): each test edits the committed s11_maps fixture at the byte level
 * (test/helpers/object-bytes.ts), opens it and asks for a load plan, which runs the same
 * subprogram (lib/object/load/subprograms.ts) and fix-up (fixups.ts) steps as load():
 *
 * - fixups.ts: a relocation past the end of the program with its subprograms (a callee whose section has
 *   no file bytes, SHT_NOBITS, shifts the callees after it past the code);
 * - subprograms.ts: a callback address into the middle of a function, or past its section;
 * - open/externs.ts: a `.kconfig` extern of 0 bytes (its map would not exist, and its
 *   fix-up would name an unknown map in plan.ts or load/index.ts: neither is reachable now);
 * - btf-fixup.ts datasecVars: a DATASEC entry that is not a VAR (`.ksyms`, whose kfunc
 *   entries are FUNCs, reached through a struct_ops map named `.ksyms`).
 *
 * The other fix-up rules cannot be reached from an object (an earlier check always speaks
 * first): fixups.ts' unknown kconfig extern (relocations.ts: unknown extern) and unresolved
 * kfunc/ksym (ksyms.ts: ENOENT for a missing non-weak extern, id 0 for a weak one);
 * subprograms.ts' relocation outside its function (relocations.ts: outside every function);
 * relocations.ts' missing symbol (lib/elf/relocations.ts: symbol index past the table).
 *
 * No kernel is needed: the stand-in kernel BTF is the object's own, which declares the
 * kfuncs it calls (tcp_reno_*) with the very prototypes the object expects, and the one
 * struct_ops map is left out (autocreate false), so only the syscall programs load.
 */
import { openObject, type LoadPlan } from '../../../lib';
import { BpfError } from '../../../lib/errors';
import { catchBpf } from '../../helpers/errors';
import { ObjectBytes } from '../../helpers/object-bytes';

const SHT_PROGBITS = 1;
const SHT_NOBITS = 8;

const s11 = (): ObjectBytes => ObjectBytes.fixture('s11_maps');

/** Opens `o` as rdfx_s11.bpf.o, struct_ops map left out, and plans its load. */
async function plan(o: ObjectBytes): Promise<LoadPlan> {
  const obj = await openObject(o.buf, { name: 'rdfx_s11.bpf.o' });
  try {
    for (const m of obj.structOps.values()) m.autocreate = false;
    return obj.planLoad({ kernel: { vmlinux: obj.spec.btf, modules: [] } });
  } finally {
    obj.close();
  }
}

async function planError(o: ObjectBytes): Promise<BpfError> {
  let err: unknown;
  await plan(o).then(() => undefined, (e: unknown) => { err = e; });
  if (err === undefined) throw new Error('the load plan was made');
  if (!(err instanceof BpfError)) throw err;
  return err;
}

/** File offset of instruction `insn` of program s11_drain (section syscall). */
function drainInsn(o: ObjectBytes, insn: number): number {
  return o.section('syscall').offset + o.symbol('s11_drain').value + insn * 8;
}

describe('s11_maps: subprograms and fix-ups of a load plan', () => {
  test('the unmodified fixture plans its four syscall programs and the .kconfig map', async () => {
    const p = await plan(s11());
    expect(p.programs.map((x) => x.name)).toEqual(['s11_emit', 's11_count', 's11_drain', 's11_mim']);
    expect(p.maps.map((m) => m.name)).toContain('.kconfig');
    // s11_drain (8 insns) + on_cmd (25), the bpf_user_ringbuf_drain callback.
    expect(p.programs.find((x) => x.name === 's11_drain')!.attr.insns.length).toBe(33 * 8);
  });

  test('a relocation past the end of the program with its subprograms (callee without file bytes before the next)', async () => {
    const o = s11();
    // struct_ops/undo_cwnd (s11_undo_cwnd, 28 insns) becomes SHT_NOBITS: a function of 28
    // instructions and no bytes. Its relocations go (their section is no REL section any
    // more), and s11_drain's ld_imm64 of s11_cmds at insn 0 (imm 0) is relocated against
    // s11_undo_cwnd instead: a callback address. The linker places s11_undo_cwnd at 8 and
    // on_cmd at 36, but on_cmd's bytes follow s11_drain's at 8: the linked program has 33
    // instructions, and on_cmd's first fix-up (its insn 12) is at 48.
    o.buf.writeUInt32LE(SHT_NOBITS, o.section('struct_ops/undo_cwnd').header + 4);
    o.buf.writeUInt32LE(SHT_PROGBITS, o.section('.relstruct_ops/undo_cwnd').header + 4);
    const at = o.symbol('s11_drain').value;
    o.setRel(o.rels('.relsyscall').find((r) => r.offset === at)!, { symbol: o.symbol('s11_undo_cwnd').index });
    expect(o.buf.readInt32LE(drainInsn(o, 0) + 4)).toBe(0);
    const err = await planError(o);
    expect(err).toMatchObject({
      code: 'EINVAL', object: 'rdfx_s11.bpf.o', program: 's11_drain',
      message: 'program s11_drain: instruction 48: relocation past the end of the program (33 instructions)',
    });
    expect(err.section).toBeUndefined();
  });

  test('a callback address into the middle of a function', async () => {
    const o = s11();
    // s11_drain's insn 2 loads on_cmd's address: .text section symbol + imm 256 (insn 32).
    expect(o.buf.readInt32LE(drainInsn(o, 2) + 4)).toBe(256);
    o.buf.writeInt32LE(264, drainInsn(o, 2) + 4);
    expect(await planError(o)).toMatchObject({
      code: 'EINVAL', object: 'rdfx_s11.bpf.o', program: 's11_drain', section: 'syscall',
      message: 's11_drain: instruction 2 calls into the middle of a function or past its section',
    });
  });

  test('a callback address past the end of its section', async () => {
    const o = s11();
    o.buf.writeInt32LE(o.section('.text').size, drainInsn(o, 2) + 4);
    expect(await planError(o)).toMatchObject({
      code: 'EINVAL', object: 'rdfx_s11.bpf.o', program: 's11_drain', section: 'syscall',
      message: 's11_drain: instruction 2 calls into the middle of a function or past its section',
    });
  });

  test('a .kconfig extern of 0 bytes is refused at open: no .kconfig map could hold it', async () => {
    const o = s11();
    // CONFIG_HZ's VAR now has type int[0] (an existing zero-length array of the object's
    // BTF): the .kconfig DATASEC would be 0 bytes and get no map, while s11_count still
    // reads CONFIG_HZ through the .kconfig map.
    const zeroArray = o.btf().find((r) => r !== undefined && r.kind === 3 && o.buf.readUInt32LE(r.extra + 8) === 0
      && o.buf.readUInt32LE(r.extra) === o.btfType('int', 1).id)!;
    const hz = o.btfType('CONFIG_HZ', 14);
    o.buf.writeUInt32LE(zeroArray.id, hz.at + 8);
    const err = await openObject(o.buf, { name: 'rdfx_s11.bpf.o' }).then((obj) => obj.close(), (e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({
      code: 'EINVAL', object: 'rdfx_s11.bpf.o', typeId: hz.id,
      hint: 'declare it as a bool, a char array, an enum or an integer',
    });
    expect((err as BpfError).message).toBe('rdfx_s11.bpf.o: collect externs: .kconfig extern CONFIG_HZ has 0 bytes');
  });
});

describe('s11_maps: data sections read by name', () => {
  test('setGlobalsFromKernelEnums of .ksyms (a map of that name exists): its FUNC entries are no VARs', async () => {
    const o = s11();
    // The struct_ops variable s11_cc (ELF symbol and BTF VAR) is renamed .ksyms: the object
    // has a map called .ksyms, and the .ksyms DATASEC (kfunc FUNCs, which the open phase
    // leaves as they are) is what the section name finds.
    o.renameSymbol('s11_cc', '.ksyms');
    o.renameBtfString('s11_cc', '.ksyms');
    const ksyms = o.btfType('.ksyms', 15);
    const firstEntry = o.buf.readUInt32LE(ksyms.extra);
    expect(o.btf()[firstEntry].kind).toBe(12); // FUNC tcp_reno_ssthresh
    const obj = await openObject(o.buf, { name: 'rdfx_ksyms.bpf.o' });
    try {
      expect([...obj.structOps.keys()]).toEqual(['.ksyms']);
      const err = catchBpf(() => obj.setGlobalsFromKernelEnums('.ksyms', { btf: obj.spec.btf }));
      expect(err).toMatchObject({
        code: 'EINVAL', typeId: ksyms.id, message: `BTF DATASEC .ksyms: entry ${firstEntry} is not a VAR`,
      });
    } finally {
      obj.close();
    }
  });
});
