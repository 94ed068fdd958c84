/**
 * The addon's CRC-32 (native/crc32.cc) is zlib's: the same value for every length around
 * the 8-byte steps, for views that start inside a larger buffer, and when continued from a
 * previous value; anything but a Uint8Array and a uint32 start is a TypeError.
 */
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32 } from '../../../lib/sys';

describe('crc32 (native)', () => {
  test('equals zlib.crc32 for lengths 0..64 at every offset 0..7, and for 1 MiB', () => {
    const data = randomBytes(1 << 20);
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= 64; length++) {
        const view = data.subarray(offset, offset + length);
        expect([offset, length, crc32(view)]).toEqual([offset, length, zlib.crc32(view)]);
      }
    }
    expect(crc32(data)).toBe(zlib.crc32(data));
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  test('continues from a value as zlib does', () => {
    const a = randomBytes(1000);
    const b = randomBytes(333);
    expect(crc32(b, crc32(a))).toBe(zlib.crc32(Buffer.concat([a, b])));
    expect(crc32(b, 0xffffffff)).toBe(zlib.crc32(b, 0xffffffff));
    expect(crc32(new Uint8Array(0), 12345)).toBe(12345);
  });

  test.each([
    ['a string', () => crc32('abc' as unknown as Uint8Array)],
    ['a Uint16Array', () => crc32(new Uint16Array(4) as unknown as Uint8Array)],
    ['a negative start', () => crc32(Buffer.alloc(1), -1)],
    ['a start past 2^32-1', () => crc32(Buffer.alloc(1), 2 ** 32)],
    ['a fractional start', () => crc32(Buffer.alloc(1), 1.5)],
    ['a string start', () => crc32(Buffer.alloc(1), '1' as unknown as number)],
  ])('%s is a TypeError', (_what, call) => {
    // The addon's errors come from Node's realm, not Jest's: compare the name, not the class.
    let thrown: unknown;
    try {
      call();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/^crc32: /) });
  });
});
