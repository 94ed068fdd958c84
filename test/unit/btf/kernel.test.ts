import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, BtfKind, listKernelBtfModules, loadKernelBtf, loadModuleBtf } from '../../../lib/btf';
import { parseVmlinux } from '../../../lib/btf/kernel';

const VMLINUX = '/sys/kernel/btf/vmlinux';

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

// Reading kernel BTF needs no privileges, only CONFIG_DEBUG_INFO_BTF.
const describeKernel = readable(VMLINUX) ? describe : describe.skip;

describeKernel('kernel BTF (/sys/kernel/btf)', () => {
  // These run first, while the lazily read vmlinux BTF is still partly read.
  it('finds tcp_congestion_ops and decodes its layout', () => {
    const vmlinux = loadKernelBtf();
    expect(loadKernelBtf()).toBe(vmlinux);
    const ops = vmlinux.findByName('tcp_congestion_ops', 'struct');
    if (ops?.kind !== BtfKind.STRUCT) throw new Error('tcp_congestion_ops not found');
    // Checked with bpftool on 6.18: size=192, 18 members, ssthresh first, name at bit 704.
    expect(ops.size % 8).toBe(0);
    expect(ops.size).toBeGreaterThanOrEqual(128);
    expect(vmlinux.sizeOf(ops.id)).toBe(ops.size);
    expect(vmlinux.alignOf(ops.id)).toBe(8);
    const ssthresh = vmlinux.memberByName(ops.id, 'ssthresh');
    expect(ssthresh).toMatchObject({ index: 0, member: { bitOffset: 0, bitfieldSize: 0 } });
    expect(vmlinux.typeName(ssthresh!.member.type)).toBe('u32 (*)(struct sock *)');
    const avoid = vmlinux.memberByName(ops.id, 'cong_avoid')!;
    expect(avoid.member.bitOffset).toBe(64);
    expect(vmlinux.typeName(avoid.member.type)).toBe('void (*)(struct sock *, u32, u32)');
    const name = vmlinux.memberByName(ops.id, 'name')!;
    expect(vmlinux.typeName(name.member.type)).toBe('char [16]'); // TCP_CA_NAME_MAX
    expect(name.member.bitOffset % 64).toBe(0);
    expect(vmlinux.typeName(vmlinux.memberByName(ops.id, 'owner')!.member.type)).toBe('struct module *');
  });

  it('finds the struct_ops value type and its data member', () => {
    const vmlinux = loadKernelBtf();
    const value = vmlinux.findByName('bpf_struct_ops_tcp_congestion_ops', 'struct');
    const ops = vmlinux.findByName('tcp_congestion_ops', 'struct')!;
    if (value?.kind !== BtfKind.STRUCT) throw new Error('value type not found');
    const data = vmlinux.memberByName(value.id, 'data');
    // 'data' is cache-line aligned after 'common' (bit 512 on 6.18; value size 256).
    expect(data).toMatchObject({ index: 1, member: { type: ops.id } });
    expect(data!.member.bitOffset % 512).toBe(0);
    expect(vmlinux.sizeOf(value.id)).toBe(value.size);
    expect(value.size).toBeGreaterThanOrEqual(data!.member.bitOffset / 8 + vmlinux.sizeOf(ops.id));
    expect(vmlinux.memberByName(value.id, 'common')?.member.bitOffset).toBe(0);
  });

  it('finds kfuncs and answers absent names without a full read', () => {
    const vmlinux = loadKernelBtf();
    const fn = vmlinux.findByName('tcp_slow_start', 'func');
    expect(fn?.kind).toBe(BtfKind.FUNC);
    expect(vmlinux.typeName(fn!.id)).toBe('u32 tcp_slow_start(struct tcp_sock *, u32)');
    expect(vmlinux.findByName('no_such_type_in_any_kernel_42')).toBeUndefined();
    expect(vmlinux.findByName('tcp_slow_start', 'struct')).toBeUndefined();
  });

  it('matches a complete, eager read of the same file', () => {
    const vmlinux = loadKernelBtf();
    const full = Btf.parse(readFileSync(VMLINUX), { name: 'vmlinux-full', lazy: true });
    expect(vmlinux.typeCount).toBe(full.typeCount);
    expect(vmlinux.stringsLength).toBe(full.stringsLength);
    expect(vmlinux.raw.equals(full.raw)).toBe(true);
    for (let id = 1; id < full.typeCount; id += 997) expect(vmlinux.typeById(id)).toEqual(full.typeById(id));
    expect(vmlinux.findAllByName('sock').map((t) => t.id)).toEqual(full.findAllByName('sock').map((t) => t.id));
    expect(() => vmlinux.typeById(full.typeCount)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('lists module BTF and loads it as split BTF', () => {
    const mods = listKernelBtfModules();
    expect(mods).not.toContain('vmlinux');
    expect(mods.every((m) => typeof m === 'string' && m.length > 0)).toBe(true);
    if (mods.length > 0) {
      const mod = loadModuleBtf(mods[0]);
      expect(loadModuleBtf(mods[0])).toBe(mod);
      expect(mod.base).toBe(loadKernelBtf());
      expect(mod.startId).toBe(loadKernelBtf().typeCount);
    }
    expect(() => loadModuleBtf('no_such_module_42')).toThrow(expect.objectContaining({ name: 'BpfError', code: 'ENOENT' }));
    for (const bad of ['', '..', 'a/b', 'vmlinux']) {
      expect(() => loadModuleBtf(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });
});

describe('parseVmlinux (the lazy sysfs reader) on ordinary files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'btf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sample = readFileSync(join(__dirname, '../../fixtures/btf/sample.btf'));

  it('reads on demand and ends up with the same types as an eager parse', () => {
    const path = join(dir, 'sample');
    writeFileSync(path, sample);
    const lazy = parseVmlinux(path);
    expect(lazy.findByName('ops', 'struct')?.id).toBe(14);
    expect(lazy.findByName('missing')).toBeUndefined();
    expect([...lazy.types()]).toEqual([...Btf.parse(sample).types()]);
    expect(lazy.raw.equals(sample)).toBe(true);
  });

  it('completes a lazily read base before parsing split BTF over it', () => {
    const path = join(dir, 'base');
    writeFileSync(path, sample);
    const base = parseVmlinux(path);
    const own = Buffer.from('\0mod_int\0');
    const split = Buffer.alloc(24 + 16);
    split.writeUInt16LE(0xeb9f, 0);
    split.writeUInt8(1, 2);
    split.writeUInt32LE(24, 4);
    split.writeUInt32LE(0, 8);
    split.writeUInt32LE(12, 12);
    split.writeUInt32LE(12, 16);
    split.writeUInt32LE(own.length, 20);
    split.writeUInt32LE(base.stringsLength + 1, 24); // name 'mod_int'
    split.writeUInt32LE((BtfKind.TYPEDEF << 24) >>> 0, 28);
    split.writeUInt32LE(8, 32); // -> base 'int'
    const mod = Btf.parse(Buffer.concat([split.subarray(0, 36), own]), { base, name: 'mod' });
    expect(mod.startId).toBe(44);
    expect(mod.typeName(44)).toBe('mod_int');
    expect(mod.resolve(44).name).toBe('int');
  });

  it('reports malformed and missing files as BpfError', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, sample.subarray(0, 30));
    expect(() => parseVmlinux(bad)).toThrow(expect.objectContaining({ name: 'BpfError', code: 'EINVAL' }));
    const corrupt = Buffer.from(sample);
    corrupt.writeUInt32LE(0xff000000, 28); // kind 31 in the first record's info
    writeFileSync(bad, corrupt);
    const lazy = parseVmlinux(bad);
    expect(() => lazy.findByName('ops')).toThrow(expect.objectContaining({ code: 'EINVAL', typeId: 1, offset: 28 }));
    expect(() => parseVmlinux(join(dir, 'nope'))).toThrow(expect.objectContaining({ name: 'BpfError', code: 'ENOENT' }));
  });
});
