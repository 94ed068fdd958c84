/**
 * CO-RE against the running kernel's BTF (/sys/kernel/btf/vmlinux), the way a TCP congestion
 * controller uses it. Expected offsets are cross-checked with bpftool's raw dump when
 * bpftool is installed. Skipped when the kernel exposes no BTF.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Btf } from '../../../lib/btf';
import { applyCoreRelocations } from '../../../lib/core';
import { insnAt, loadFixture } from './fixture';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const haveBtf = existsSync(VMLINUX);
const describeKernel = haveBtf ? describe : describe.skip;

/** bits_offset of a member per `bpftool btf dump` (undefined without bpftool). */
function bpftoolBitOffset(struct: string, member: string): number | undefined {
  let dump: string;
  try {
    dump = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX], { maxBuffer: 1 << 30, encoding: 'utf8' });
  } catch {
    return undefined;
  }
  const start = dump.indexOf(`] STRUCT '${struct}' `);
  if (start < 0) return undefined;
  const block = dump.slice(start, dump.indexOf('\n[', start));
  const m = new RegExp(`'${member}' type_id=\\d+ bits_offset=(\\d+)`).exec(block);
  return m ? Number(m[1]) : undefined;
}

describeKernel('against the running kernel', () => {
  const vmlinux = haveBtf ? Btf.parse(readFileSync(VMLINUX), { name: 'vmlinux', lazy: true }) : undefined;
  const obj = loadFixture('core_vmlinux.bpf.o');

  function memberBits(struct: string, member: string): number {
    const t = vmlinux!.findByName(struct, 'struct');
    if (!t || !('members' in t)) throw new Error(`no struct ${struct}`);
    const m = t.members.find((x) => x.name === member)!;
    return m.bitOffset;
  }

  function run(name: string) {
    const section = `core/${name}`;
    const insns = obj.section(section);
    const result = applyCoreRelocations(insns, obj.relos.get(section)!, obj.btf, [vmlinux!], { program: name, section });
    return { insns, result };
  }

  it('relocates tcp_sock___x->snd_cwnd to the kernel offset', () => {
    const bits = memberBits('tcp_sock', 'snd_cwnd');
    const fromBpftool = bpftoolBitOffset('tcp_sock', 'snd_cwnd');
    if (fromBpftool !== undefined) expect(bits).toBe(fromBpftool);
    const { insns, result } = run('snd_cwnd');
    expect(result).toEqual({ applied: 1, poisoned: [] });
    expect(insnAt(insns, 0)).toEqual({ code: 0x61, dst: 0, src: 1, off: bits / 8, imm: 0 });
  });

  it('plans BPF_CORE_READ_BITFIELD(icsk, icsk_ca_state) for the kernel layout', () => {
    const bits = memberBits('inet_connection_sock', 'icsk_ca_state');
    const fromBpftool = bpftoolBitOffset('inet_connection_sock', 'icsk_ca_state');
    if (fromBpftool !== undefined) expect(bits).toBe(fromBpftool);
    const { insns, result } = run('ca_state');
    expect(result).toEqual({ applied: 6, poisoned: [] });
    // __u8 icsk_ca_state:5 -> a 1-byte load at the byte holding it
    const byteOff = Math.floor(bits / 8);
    expect(insnAt(insns, 0).imm).toBe(byteOff); // byte_off
    expect(insnAt(insns, 2).imm).toBe(1); // byte_sz
    expect(insnAt(insns, 17).imm).toBe(64 - (bits + 5 - byteOff * 8)); // lshift
    expect(insnAt(insns, 18).imm).toBe(0); // unsigned
    expect(insnAt(insns, 20).imm).toBe(59); // rshift
    expect(insnAt(insns, 22).imm).toBe(59);
  });

  it('falls back to module BTFs only when vmlinux has no candidate', () => {
    // Passing vmlinux as a "module" after an empty main BTF still finds tcp_sock.
    const empty = Btf.parse(emptyBtf(), { name: 'empty' });
    const section = 'core/snd_cwnd';
    const insns = obj.section(section);
    applyCoreRelocations(insns, obj.relos.get(section)!, obj.btf, [empty, vmlinux!], { program: 'snd_cwnd', section });
    expect(insnAt(insns, 0).off).toBe(memberBits('tcp_sock', 'snd_cwnd') / 8);
  });
});

/** A valid BTF blob with no types and an empty string table. */
function emptyBtf(): Buffer {
  const b = Buffer.alloc(24 + 1);
  b.writeUInt16LE(0xeb9f, 0);
  b[2] = 1;
  b.writeUInt32LE(24, 4);
  b.writeUInt32LE(0, 8); // type_off
  b.writeUInt32LE(0, 12); // type_len
  b.writeUInt32LE(0, 16); // str_off
  b.writeUInt32LE(1, 20); // str_len
  return b;
}
