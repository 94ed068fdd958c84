/**
 * The CLI's line writers on stdout/stderr: write(2) on the descriptor, EPIPE and EBADF drop
 * the output, EAGAIN hands the rest to the stream, anything else is thrown.
 */
import { closeSync, openSync, readFileSync, rmSync, mkdtempSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fdLineWriter } from '../../../lib/cli/io';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** A stream that keeps what it was given. */
function recordingStream(): { stream: Writable; written: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk); done(); } });
  return { stream, written: () => Buffer.concat(chunks).toString('utf8') };
}

describe('fdLineWriter', () => {
  test('writes each line with its newline to the descriptor, not through the stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'so-io-'));
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    try {
      let streamAsked = 0;
      const line = fdLineWriter(fd, () => { streamAsked++; return recordingStream().stream; });
      line('first');
      line('zweite ✓');
      expect(readFileSync(file, 'utf8')).toBe('first\nzweite ✓\n');
      expect(streamAsked).toBe(0);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a short write goes on from where it stopped', () => {
    const got: Buffer[] = [];
    const oneByteAtATime = ((_fd: number, b: Buffer, off: number) => { got.push(b.subarray(off, off + 1)); return 1; }) as unknown as typeof writeSync;
    fdLineWriter(7, () => recordingStream().stream, oneByteAtATime)('abc');
    expect(Buffer.concat(got).toString()).toBe('abc\n');
  });

  test.each(['EPIPE', 'EBADF'])('%s: this line and every later one are dropped, nothing thrown', (code) => {
    let calls = 0;
    const failing = (() => { calls++; throw errno(code); }) as unknown as typeof writeSync;
    const line = fdLineWriter(1, () => recordingStream().stream, failing);
    line('one');
    line('two');
    expect(calls).toBe(1);
  });

  test('EAGAIN after a partial write: the rest of the line and later lines go through the stream', () => {
    const rec = recordingStream();
    const direct: string[] = [];
    let calls = 0;
    const partialThenAgain = ((_fd: number, b: Buffer, off: number) => {
      calls++;
      if (calls === 1) { direct.push(b.subarray(off, off + 2).toString()); return 2; }
      throw errno('EAGAIN');
    }) as unknown as typeof writeSync;
    const line = fdLineWriter(1, () => rec.stream, partialThenAgain);
    line('hello');
    line('world');
    expect(direct).toEqual(['he']);
    expect(rec.written()).toBe('llo\nworld\n');
    expect(calls).toBe(2);
  });

  test('any other error is thrown', () => {
    const failing = (() => { throw errno('EIO'); }) as unknown as typeof writeSync;
    expect(() => fdLineWriter(1, () => recordingStream().stream, failing)('x')).toThrow('EIO');
  });
});
