/**
 * The addon's gunzip (native/gunzip.cc) gives node:zlib's bytes for one gzip member, at
 * every size around its 64 KiB growth step and for the running kernel's /proc/config.gz,
 * and refuses, each with its reason: a member that is cut short, bytes after it, a bad
 * CRC, anything that is not gzip, and output over maxBytes (exactly maxBytes is fine).
 * Arguments other than a Uint8Array and an integer 1..2^30 are a TypeError.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { gunzip } from '../../../lib/sys';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  throw new Error('expected gunzip to throw');
};

describe('gunzip (native)', () => {
  test('equals zlib.gunzipSync at sizes around the 64 KiB step, random and compressible', () => {
    for (const size of [0, 1, 65535, 65536, 65537, 131073, 1 << 20]) {
      for (const data of [randomBytes(size), Buffer.alloc(size, 'config line\n')]) {
        const gz = zlib.gzipSync(data);
        expect([size, gunzip(gz, Math.max(size, 1)).equals(data)]).toEqual([size, true]);
      }
    }
  });

  test('reads a view inside a larger buffer', () => {
    const gz = zlib.gzipSync(Buffer.from('CONFIG_HZ=250\n'));
    const framed = Buffer.concat([Buffer.from('junk'), gz, Buffer.from('more junk')]);
    expect(gunzip(framed.subarray(4, 4 + gz.length), 100).toString()).toBe('CONFIG_HZ=250\n');
  });

  test("the running kernel's /proc/config.gz inflates to zlib's bytes", () => {
    const path = existsSync('/proc/config.gz') ? '/proc/config.gz' : undefined;
    // Without one (a kernel built without IKCONFIG_PROC) a gzip -9 of a config-like text.
    const gz = path ? readFileSync(path) : zlib.gzipSync(Buffer.from(Array.from({ length: 10000 }, (_, i) => `CONFIG_X${i}=y`).join('\n')), { level: 9 });
    const expected = zlib.gunzipSync(gz);
    expect(gunzip(gz, 16 << 20).equals(expected)).toBe(true);
  });

  test('output over maxBytes is refused; exactly maxBytes is not', () => {
    const gz = zlib.gzipSync(Buffer.alloc(70000, 1));
    expect(gunzip(gz, 70000).length).toBe(70000);
    expect(refusal(() => gunzip(gz, 69999))).toBe('Error: gunzip: inflates to more than 69999 bytes');
    expect(refusal(() => gunzip(zlib.gzipSync(Buffer.alloc(2)), 1))).toBe('Error: gunzip: inflates to more than 1 bytes');
  });

  test('a cut member, trailing bytes, a bad CRC and non-gzip data are refused', () => {
    const gz = zlib.gzipSync(randomBytes(5000));
    expect(refusal(() => gunzip(gz.subarray(0, gz.length - 1), 1e6))).toBe('Error: gunzip: truncated gzip data');
    expect(refusal(() => gunzip(gz.subarray(0, 10), 1e6))).toBe('Error: gunzip: truncated gzip data');
    expect(refusal(() => gunzip(Buffer.alloc(0), 1e6))).toBe('Error: gunzip: truncated gzip data');
    expect(refusal(() => gunzip(Buffer.concat([gz, gz]), 1e6))).toBe(`Error: gunzip: ${gz.length} bytes after the gzip member`);
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 8] ^= 1;
    expect(refusal(() => gunzip(badCrc, 1e6))).toBe('Error: gunzip: incorrect data check');
    expect(refusal(() => gunzip(zlib.deflateSync(Buffer.from('zlib, not gzip')), 1e6))).toBe('Error: gunzip: incorrect header check');
    expect(refusal(() => gunzip(Buffer.from('CONFIG_HZ=250\n'), 1e6))).toBe('Error: gunzip: incorrect header check');
  });

  test('arguments are checked', () => {
    const gz = zlib.gzipSync(Buffer.from('x'));
    const usage = 'TypeError: gunzip: expected (data: Uint8Array, maxBytes: integer 1..2^30)';
    const max = 'TypeError: gunzip: maxBytes must be an integer 1..2^30';
    expect(refusal(() => (gunzip as (...a: unknown[]) => Buffer)(gz))).toBe(usage);
    expect(refusal(() => gunzip('x' as unknown as Uint8Array, 10))).toBe(usage);
    expect(refusal(() => gunzip(new Uint16Array(4) as unknown as Uint8Array, 10))).toBe(usage);
    expect(refusal(() => gunzip(gz, '10' as unknown as number))).toBe(usage);
    for (const bad of [0, -1, 1.5, NaN, 2 ** 30 + 1]) expect([bad, refusal(() => gunzip(gz, bad))]).toEqual([bad, max]);
    expect(gunzip(gz, 2 ** 30).toString()).toBe('x');
  });
});
