/**
 * The attacks on the kernel BTF index cache (issue 12) as tests that must fail to attack:
 * a forged index shifted by one record, a cache directory that is a symlink or sits below a
 * directory another user controls, and an unprivileged user swapping a directory for a
 * symlink over and over while root builds and reads the index.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf } from '../../../lib/btf';
import { cachePath, canStore, type IndexCacheOptions } from '../../../lib/btf/index-cache';
import { IndexedTable } from '../../../lib/btf/indexed';
import { parseVmlinux } from '../../../lib/btf/kernel';
import { shiftedByOne, STRIDE } from './forge';
import { synthetic } from './synthetic';
// nobody cannot enter a clone below a private directory: it runs a staged copy of dist/.
import { unprivilegedRoot } from '../../helpers/child-unprivileged';

const BOOT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;

const indexed = (btf: Btf): boolean => (btf as unknown as { table: unknown }).table instanceof IndexedTable;

describe('vmlinux index cache under attack', () => {
  let dir: string;
  let file: string;
  const syn = synthetic();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'btf-attack-'));
    chmodSync(dir, 0o755);
    file = join(dir, 'vmlinux');
    writeFileSync(file, syn.blob);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a forged index shifted by one record resolves every name to its real id, and is replaced', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    const forged = shiftedByOne(good, syn.blob);
    writeFileSync(cachePath(cache), forged);
    const full = Btf.parse(syn.blob);
    // The forgery works on a reader that trusts the block starts it walks: the name 's_0100'
    // sits where the forged index says id (real - 1) starts.
    const target = 's_0100';
    const real = full.findByName(target, 'struct')!.id;
    expect(real).toBeGreaterThan(2 * STRIDE);
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(true);
    expect(btf.findByName(target, 'struct')?.id).toBe(real);
    for (const [name, want] of syn.names) expect(btf.findAllByName(name).map((t) => t.id)).toEqual(want.map((x) => x.id));
    expect(btf.typeCount).toBe(full.typeCount);
    expect(readFileSync(cachePath(cache)).equals(good)).toBe(true);
  });

  it('a shifted index is caught even when the first lookup lands past the first block', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    parseVmlinux(file, cache);
    writeFileSync(cachePath(cache), shiftedByOne(readFileSync(cachePath(cache)), syn.blob));
    const btf = parseVmlinux(file, cache);
    const full = Btf.parse(syn.blob);
    const last = full.typeCount - 1;
    expect(btf.typeById(last)).toEqual(full.typeById(last));
  });

  it('never writes through, nor reads from, a cache directory that is a symlink', () => {
    const target = join(dir, 'target');
    mkdirSync(target, { mode: 0o755 });
    const link = join(dir, 'link');
    symlinkSync(target, link);
    const cache: IndexCacheOptions = { dir: link, bootId: BOOT };
    expect(canStore(cache)).toBe(false);
    const btf = parseVmlinux(file, cache);
    expect(indexed(btf)).toBe(false);
    expect(readdirSync(target)).toEqual([]);
    // A good index planted behind the symlink is not read either.
    parseVmlinux(file, { dir: target, bootId: BOOT });
    expect(existsSync(join(target, 'vmlinux.idx'))).toBe(true);
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
    // Nor below a symlinked ancestor.
    const below: IndexCacheOptions = { dir: join(link, 'sub'), bootId: BOOT };
    parseVmlinux(file, below);
    expect(existsSync(join(target, 'sub'))).toBe(false);
  });

  it('never uses a file under the cache name that is a symlink or a FIFO', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    parseVmlinux(file, cache);
    const good = readFileSync(cachePath(cache));
    const elsewhere = join(dir, 'elsewhere.idx');
    writeFileSync(elsewhere, good, { mode: 0o644 });
    rmSync(cachePath(cache));
    symlinkSync(elsewhere, cachePath(cache));
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
    // The rebuild replaced the link by a file and left its target alone.
    expect(lstatSync(cachePath(cache)).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere).equals(good)).toBe(true);
    rmSync(cachePath(cache));
    spawnSync('mkfifo', [cachePath(cache)]);
    expect(lstatSync(cachePath(cache)).isFIFO()).toBe(true);
    expect(indexed(parseVmlinux(file, { ...cache, dir: cache.dir }))).toBe(false);
  });

  (isRoot ? it : it.skip)('root ignores a cache whose path another user can change, and writes nothing there', () => {
    const userDir = join(dir, 'home');
    mkdirSync(userDir, { mode: 0o755 });
    chownSync(userDir, NOBODY, NOBODY);
    const cache: IndexCacheOptions = { dir: join(userDir, 'cache'), bootId: BOOT };
    expect(canStore(cache)).toBe(false);
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
    expect(readdirSync(userDir)).toEqual([]);
    // Even a perfect index there, owned by root, is not read: nobody could have swapped it.
    mkdirSync(cache.dir, { mode: 0o755 });
    parseVmlinux(file, { dir: join(dir, 'good'), bootId: BOOT });
    writeFileSync(join(cache.dir, 'vmlinux.idx'), readFileSync(join(dir, 'good', 'vmlinux.idx')), { mode: 0o644 });
    expect(indexed(parseVmlinux(file, cache))).toBe(false);
  });

  (isRoot ? it : it.skip)('an unprivileged user may read the index root built, but not write one', () => {
    const cache: IndexCacheOptions = { dir: join(dir, 'cache'), bootId: BOOT };
    parseVmlinux(file, cache);
    const script = `
      const { parseVmlinux } = require(${JSON.stringify(join(unprivilegedRoot(), 'dist/btf/kernel.js'))});
      const { canStore } = require(${JSON.stringify(join(unprivilegedRoot(), 'dist/btf/index-cache.js'))});
      const { IndexedTable } = require(${JSON.stringify(join(unprivilegedRoot(), 'dist/btf/indexed.js'))});
      const cache = ${JSON.stringify(cache)};
      const btf = parseVmlinux(${JSON.stringify(file)}, cache);
      console.log(JSON.stringify({ indexed: btf.table instanceof IndexedTable, canStore: canStore(cache), id: btf.findByName('ops', 'struct')?.id }));`;
    // cwd '/': Node 22+ reads the package.json nearest the cwd for -e, and nobody cannot
    // reach a clone inside a 0700 directory.
    const out = spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', cwd: '/' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ indexed: true, canStore: false, id: syn.names.get('ops')![0].id });
  });

  (isRoot ? it : it.skip)('a directory swapped for a symlink by another user, over and over, is never written through', async () => {
    // The attacker owns `play`; inside it, `cache` flips between a real directory and a
    // symlink to `loot`, which only root can write. Root keeps building the index there.
    const play = join(dir, 'play');
    const loot = join(dir, 'loot');
    mkdirSync(play, { mode: 0o755 });
    mkdirSync(loot, { mode: 0o755 });
    chownSync(play, NOBODY, NOBODY);
    const flips = 4000;
    const swapper = `
      const fs = require('fs');
      const d = ${JSON.stringify(join(play, 'cache'))}, t = ${JSON.stringify(join(play, 'tmp'))};
      for (let i = 0; i < ${flips}; i++) {
        try { fs.mkdirSync(t); fs.renameSync(t, d); } catch {}
        try { fs.rmSync(d, { recursive: true, force: true }); fs.symlinkSync(${JSON.stringify(loot)}, d); } catch {}
        try { fs.unlinkSync(d); } catch {}
      }
      console.log('done');`;
    const child = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, '-e', swapper], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
    let finished = false;
    const done = new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (b) => (out += b));
      child.on('exit', () => {
        finished = true;
        resolve(out);
      });
    });
    const cache: IndexCacheOptions = { dir: join(play, 'cache'), bootId: BOOT };
    let rounds = 0;
    let trusted = 0;
    while (!finished || rounds < 50) {
      const btf = parseVmlinux(file, cache);
      if (indexed(btf)) trusted++;
      rounds++;
      await new Promise((r) => setImmediate(r));
    }
    expect((await done).trim()).toBe('done');
    expect(rounds).toBeGreaterThanOrEqual(50);
    expect(trusted).toBe(0);
    expect(readdirSync(loot)).toEqual([]);
  });
});
