/**
 * lib/loader's V8 code cache (issue 13 speed, issue 12 trust). V8 runs a cache built for
 * any source of the same length, so each test plants a FORGED cache (compiled from a
 * payload of the bundle's length) and sees which code runs: the payload means the cache
 * was used, the real source means it was refused. Every rule that refuses a cache is
 * deleted-and-caught here: a trusted forged cache is used, each untrusted variant is not.
 * Runs the BUILT loader (dist/loader) in fresh processes, as the package's entry files do.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_CACHE_SUFFIX, decodeCodeCache, encodeCodeCache } from '../../../lib/loader';
import { MAX_CODE_CACHE } from '../../../lib/loader/code-cache';
import { assertDistBuilt, DIST } from '../../helpers/child';

const isRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

// Top-level values, not functions: V8 compiles an inner function lazily from the source it
// is given, but runs the top-level code from the cache.
const REAL = "module.exports = { answer: 'real source' };\n";
const PAYLOAD = "module.exports = { answer: 'forged code' };\n";

const LOADER = join(DIST, 'loader');

/**
 * Writes `cache`: V8's data for `source` compiled as a module at `file` (by a plain
 * `node`, as users run it: Jest's own module sandbox would change what V8 accepts), keyed
 * to `file` as it is now.
 */
function writeForgedCache(file: string, cache: string, source: string): void {
  const r = spawnSync(process.execPath, ['-e', `
const fs = require('fs'); const { Script } = require('vm');
const { encodeCodeCache, wrapModuleSource } = require(process.argv[1]);
const [file, cache, source] = process.argv.slice(2);
const data = new Script(wrapModuleSource(source), { filename: file }).createCachedData();
fs.writeFileSync(cache, encodeCodeCache(fs.statSync(file, { bigint: true }), data), { mode: 0o644 });`, LOADER, file, cache, source],
  { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

let root: string;
let seq = 0;

beforeAll(() => {
  assertDistBuilt();
  expect(PAYLOAD.length).toBe(REAL.length);
  root = mkdtempSync(join(tmpdir(), 'struct-ops-code-cache-'));
  chmodSync(root, 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory holding bundle.js (the real source) and a forged, matching cache. */
function plant(opts: { under?: string } = {}): { dir: string; file: string; cache: string } {
  const dir = join(opts.under ?? root, `b${seq++}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, 'bundle.js');
  writeFileSync(file, REAL, { mode: 0o644 });
  const cache = file + CODE_CACHE_SUFFIX;
  writeForgedCache(file, cache, PAYLOAD);
  return { dir, file, cache };
}

/**
 * What `answer()` of the module returns when a fresh `node` loads it with requireBundle,
 * the bytes that process asked readSync for, and whether a second call and require.cache
 * gave the same exports.
 */
function load(file: string): { answer: string; bytesAsked: number; same: boolean } {
  const r = spawnSync(process.execPath, ['-e', `
const fs = require('fs');
let bytesAsked = 0;
const readSync = fs.readSync;
fs.readSync = (fd, buf, off, len, pos) => { bytesAsked += len; return readSync(fd, buf, off, len, pos); };
const { requireBundle } = require(process.argv[1]);
const file = process.argv[2];
const first = requireBundle(file);
const entry = require.cache[file] ?? require.cache[require.resolve(file)];
const same = requireBundle(file) === first && entry.exports === first && entry.loaded === true;
process.stdout.write(JSON.stringify({ answer: first.answer, bytesAsked, same }));`, LOADER, file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const answer = (file: string): string => load(file).answer;

describe('requireBundle and the code cache', () => {
  it('runs the cache when it is trusted and built for this file (so a forged one would run: trust is the guard)', () => {
    const { file } = plant();
    expect(answer(file)).toBe('forged code');
  });

  it('enters the module in require.cache and returns the same exports on a second call', () => {
    const { file } = plant();
    expect(load(file).same).toBe(true);
    const plain = plant();
    rmSync(plain.cache);
    expect(load(plain.file).same).toBe(true);
  });

  it('compiles the source when there is no cache', () => {
    const { file, cache } = plant();
    rmSync(cache);
    expect(answer(file)).toBe('real source');
  });

  it('refuses a cache others may write', () => {
    const { file, cache } = plant();
    chmodSync(cache, 0o666);
    expect(answer(file)).toBe('real source');
  });

  it('refuses a cache in a directory others may write, or below one', () => {
    const a = plant();
    chmodSync(a.dir, 0o777);
    expect(answer(a.file)).toBe('real source');
    const parent = join(root, `open${seq++}`);
    mkdirSync(parent, { mode: 0o755 });
    chmodSync(parent, 0o777); // writable by all, not sticky
    const b = plant({ under: parent });
    expect(answer(b.file)).toBe('real source');
  });

  (isRoot ? it : it.skip)('refuses a cache owned by another user (root trusts only root)', () => {
    const { file, cache } = plant();
    chownSync(cache, NOBODY, NOBODY);
    expect(answer(file)).toBe('real source');
  });

  it('refuses a cache that is a symlink, or reached through a symlinked directory', () => {
    const a = plant();
    const elsewhere = join(root, `elsewhere${seq++}.v8cache`);
    writeFileSync(elsewhere, readFileSync(a.cache), { mode: 0o644 });
    rmSync(a.cache);
    symlinkSync(elsewhere, a.cache);
    expect(answer(a.file)).toBe('real source');
    const b = plant();
    const link = join(root, `link${seq++}`);
    symlinkSync(b.dir, link);
    expect(answer(join(link, 'bundle.js'))).toBe('real source');
  });

  it('refuses a cache with a second name (a hard link someone else may hold)', () => {
    const { file, cache } = plant();
    linkSync(cache, join(root, `hardlink${seq++}`));
    expect(answer(file)).toBe('real source');
  });

  it('refuses a cache built for another version of the file (mtime, inode)', () => {
    const a = plant();
    const later = new Date(Date.now() + 5000);
    utimesSync(a.file, later, later);
    expect(answer(a.file)).toBe('real source');
    const b = plant();
    // Same bytes, new inode: copied over by an editor or an installer.
    const copy = `${b.file}.new`;
    writeFileSync(copy, REAL, { mode: 0o644 });
    rmSync(b.file);
    linkSync(copy, b.file);
    rmSync(copy);
    expect(answer(b.file)).toBe('real source');
  });

  it('refuses a cache for another runtime, another format, or cut short', () => {
    for (const damage of [
      (bytes: Buffer) => bytes.write('v0.0.0', 40, 'utf8'), // the runtime tag
      (bytes: Buffer) => bytes.writeUInt32LE(0, 0), // magic
      (bytes: Buffer) => bytes.writeUInt32LE(99, 4), // version
      (bytes: Buffer) => bytes.writeUInt32LE(300, 36), // tag length
    ]) {
      const { file, cache } = plant();
      const bytes = readFileSync(cache);
      damage(bytes);
      writeFileSync(cache, bytes, { mode: 0o644 });
      expect(answer(file)).toBe('real source');
    }
    const short = plant();
    truncateSync(short.cache, 39);
    expect(answer(short.file)).toBe('real source');
  });

  it('refuses a cache for a source others may write (its changes would not show in the key)', () => {
    const { file } = plant();
    chmodSync(file, 0o666); // changes ctime, not the mtime the cache is keyed by
    expect(answer(file)).toBe('real source');
  });

  it('refuses a cache for another inode of the same bytes and mtime', () => {
    const { file } = plant();
    const copy = `${file}.new`;
    writeFileSync(copy, REAL, { mode: 0o644 });
    expect(spawnSync('touch', ['-r', file, copy]).status).toBe(0); // the same mtime, to the nanosecond
    rmSync(file);
    linkSync(copy, file);
    rmSync(copy);
    expect(answer(file)).toBe('real source');
  });

  it('decodes a header cut short as no cache, without throwing', () => {
    const key = { size: 1n, mtimeNs: 2n, ino: 3n, dev: 4n };
    const whole = encodeCodeCache(key, Buffer.from('v8 data'));
    expect(decodeCodeCache(whole, key)?.toString()).toBe('v8 data');
    for (let n = 0; n < 40; n++) expect(decodeCodeCache(whole.subarray(0, n), key)).toBeUndefined();
    expect(decodeCodeCache(whole, { ...key, dev: 5n })).toBeUndefined();
    expect(decodeCodeCache(whole, { ...key, size: 9n })).toBeUndefined();
  });

  it('refuses a cache larger than any bundle needs, without reading it', () => {
    const { file, cache } = plant();
    truncateSync(cache, MAX_CODE_CACHE + 1); // sparse: costs no disk
    const r = load(file);
    expect(r.answer).toBe('real source');
    expect(r.bytesAsked).toBeLessThan(1 << 20);
  });
});
