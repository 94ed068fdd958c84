/**
 * kfunc externs with `___flavour` suffixes resolve by their essential name (the last
 * `___suffix` dropped, libbpf's rule); weak ones the kernel lacks, or whose prototype
 * differs from the kernel's, resolve to "absent" so existence checks fold away.
 */
import { openObject } from '../../lib';
import { describeKernel } from '../helpers/kernel';
import { expectLinkMapRefused, hasStructOpsLinks } from '../helpers/features';
import { fixture } from '../helpers/fixtures';
import { pushTraffic } from '../helpers/traffic';

describeKernel('___flavour kfunc externs', () => {
  // The fixture registers through a link (6.4+); an older kernel gets the loader's refusal.
  const withLinks: typeof test.only = ((name: string, fn: jest.ProvidesCallback, timeout?: number) => {
    if (hasStructOpsLinks()) test(name, fn, timeout);
  }) as typeof test.only;
  if (!hasStructOpsLinks()) {
    test('a kernel without struct_ops links: the link map is refused clearly', () =>
      expectLinkMapRefused(fixture('s10a_flavour'), 's10a_flavour'));
  }
  withLinks('flavoured kfuncs resolve to the kernel ones, run, and the weak checks fold as the kernel has them', async () => {
    const obj = await openObject(fixture('s10a_flavour'));
    try {
      const plan = obj.planLoad();
      // The call in ssthresh carries the kernel's tcp_reno_ssthresh id, not a poison value.
      const { loadKernelBtf } = await import('../../lib');
      const vmlinux = loadKernelBtf();
      const id = vmlinux.findByName('tcp_reno_ssthresh', 'func')!.id;
      const ssthresh = plan.programs.find((p) => p.name === 's10a_ssthresh')!;
      const insns = ssthresh.buffers[0]!;
      const calls = [];
      for (let i = 0; i < insns.length; i += 8) {
        if (insns[i] === 0x85 && (insns[i + 1] >> 4) === 2 /* BPF_PSEUDO_KFUNC_CALL */) calls.push(insns.readInt32LE(i + 4));
      }
      expect(calls).toEqual([id]);

      await obj.load();
      const link = await obj.structOps.get('s10a_flavour')!.attach();
      try {
        await pushTraffic('s10a_flav', 4 * 1024 * 1024);
      } finally {
        link.close();
      }
      const bss = obj.readGlobals('.bss');
      expect(bss.cong_avoid_calls).toBeGreaterThan(0n);
      // Present through its flavour: every run saw it.
      expect(bss.seen_cong_avoid).toBe(bss.cong_avoid_calls);
      // Only the last suffix is dropped: tcp_reno_undo_cwnd___v1 does not exist.
      expect(bss.seen_undo_v1).toBe(0n);
      // A weak variant with another prototype is absent; so is a name no kernel has.
      expect(bss.seen_badproto).toBe(0n);
      expect(bss.seen_missing).toBe(0n);
    } finally {
      obj.close();
    }
  });

  test('a strong flavoured kfunc the kernel lacks names both spellings in the error', async () => {
    // Same object with so_missing_kfunc___s10a made STB_GLOBAL.
    const { readFileSync } = await import('node:fs');
    const { parseElf } = await import('../../lib/elf');
    const bytes = Buffer.from(readFileSync(fixture('s10a_flavour')));
    const elf = parseElf(bytes);
    const strongify = (name: string) => {
      const sym = elf.symbolByName(name)!;
      const at = elf.section('.symtab')!.offset + sym.index * 24 + 4; // st_info
      bytes[at] = (1 << 4) | (bytes[at] & 0xf);
    };
    strongify('so_missing_kfunc___s10a');
    const obj = await openObject(bytes, { name: 'strong.bpf.o' });
    try {
      expect(() => obj.planLoad()).toThrow(expect.objectContaining({
        code: 'ENOENT', message: expect.stringContaining('so_missing_kfunc___s10a (looked up as so_missing_kfunc)'),
      }));
    } finally {
      obj.close();
    }
    // A strong one with the wrong prototype is an error (weak: absent, above).
    const bytes2 = Buffer.from(readFileSync(fixture('s10a_flavour')));
    const elf2 = parseElf(bytes2);
    const sym = elf2.symbolByName('tcp_slow_start___badproto')!;
    const at = elf2.section('.symtab')!.offset + sym.index * 24 + 4;
    bytes2[at] = (1 << 4) | (bytes2[at] & 0xf);
    const obj2 = await openObject(bytes2, { name: 'badproto.bpf.o' });
    try {
      expect(() => obj2.planLoad()).toThrow(/kfunc tcp_slow_start___badproto \(looked up as tcp_slow_start\): the object's prototype does not match/);
    } finally {
      obj2.close();
    }
  });
});
