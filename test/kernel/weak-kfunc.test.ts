import { openObject } from '../../lib';
import { describeKernel } from '../helpers/kernel';
import { fixture } from '../helpers/fixtures';
import { pushTraffic } from '../helpers/traffic';
import { lossyTraffic } from '../helpers/netns';

describeKernel('__weak kfunc externs the kernel lacks', () => {
  test('the object loads, registers and runs; the existence check sees the kfunc as absent', async () => {
    const obj = await openObject(fixture('weak_kfunc'));
    try {
      await obj.load();
      const ext = obj.spec.externs.find((e) => e.name === 'so_no_such_kfunc');
      expect(ext).toMatchObject({ kind: 'kfunc', weak: true });
      const link = await obj.structOps.get('weak_kfunc')!.attach();
      try {
        await pushTraffic('so_weak', 8 * 1024 * 1024);
        // Losses make the kernel call ssthresh, where the existence checks are.
        await lossyTraffic('so_weak', 8 * 1024 * 1024);
      } finally {
        link.close();
      }
      const bss = obj.readGlobals('.bss');
      expect(bss.cong_avoid_calls).toBeGreaterThan(0n);
      expect(bss.missing_seen).toBeGreaterThan(0n);
    } finally {
      obj.close();
    }
  });

  test('a non-weak kfunc the kernel lacks is an ENOENT naming it, with a hint', async () => {
    // Same object with the weak binding cleared in the ELF symbol table: st_info STB_WEAK -> STB_GLOBAL.
    const { readFileSync } = await import('node:fs');
    const { parseElf } = await import('../../lib/elf');
    const bytes = Buffer.from(readFileSync(fixture('weak_kfunc')));
    const elf = parseElf(bytes);
    const sym = elf.symbolByName('so_no_such_kfunc')!;
    const symtab = elf.section('.symtab')!;
    const at = symtab.offset + sym.index * 24 + 4; // st_info
    bytes[at] = (1 << 4) | (bytes[at] & 0xf);
    const obj = await openObject(bytes, { name: 'strong.bpf.o' });
    try {
      await expect(obj.load()).rejects.toMatchObject({
        code: 'ENOENT', message: expect.stringContaining('so_no_such_kfunc'), hint: expect.stringContaining('__weak'),
      });
    } finally {
      obj.close();
    }
  });
});
