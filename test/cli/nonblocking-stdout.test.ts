/**
 * The CLI writes its lines with write(2) on fd 1 (lib/cli/io.ts). When that pipe is
 * non-blocking (Node's own process.stdout makes a pipe so when anything touches it, as the
 * TTY checks of `run` and `demo` do, and a parent's O_NONBLOCK is shared) and full, the
 * write gets EAGAIN: the output must still arrive whole and in order (through the stream,
 * which waits), with exit 0 and nothing on stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertDistBuilt } from '../helpers/child';
import { CLI } from '../helpers/child-cli';

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

describe('CLI output on a full non-blocking pipe', () => {
  test('struct-ops --help: every byte arrives after what was queued, exit 0, no stderr', async () => {
    assertDistBuilt();
    const expected = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
    expect(expected.length).toBeGreaterThan(1000);
    const dir = mkdtempSync(join(tmpdir(), 'so-nbpipe-'));
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    let writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      // Fill the pipe: the child's first write(2) cannot go through.
      const filler = Buffer.alloc(4096, 0x2e);
      let queued = 0;
      for (;;) {
        try {
          queued += writeSync(writeFd, filler);
        } catch (err) {
          if (errnoOf(err) !== 'EAGAIN') throw err;
          break;
        }
      }
      expect(queued).toBeGreaterThan(0);
      // libuv makes a child's fds 0-2 blocking, so the pipe is made non-blocking again in the
      // child, the way process.stdout does it, before the CLI runs; the child records that.
      // `--help` writes before runCli's first await, so once require() returns the write has
      // been tried: the child says so in a file, and only then is the pipe drained.
      const flagsFile = join(dir, 'flags');
      const wrapper = [
        "const fs = require('fs');",
        'process.stdout;',
        "const flags = fs.readFileSync('/proc/self/fdinfo/1', 'utf8');",
        'require(process.env.CLI_MAIN);',
        'fs.writeFileSync(process.env.FLAGS_FILE, flags);',
      ].join(' ');
      const child = spawn(process.execPath, ['-e', wrapper, 'argv1', '--help'], {
        stdio: ['ignore', writeFd, 'pipe'], env: { ...process.env, FLAGS_FILE: flagsFile, CLI_MAIN: CLI },
      });
      closeSync(writeFd);
      writeFd = -1;
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      while (!existsSync(flagsFile) && child.exitCode === null) await sleep(5);
      // Drain until end of file (the child, the last writer, has exited).
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(65536);
      for (;;) {
        let n: number;
        try {
          n = readSync(readFd, buf, 0, buf.length, null);
        } catch (err) {
          if (errnoOf(err) !== 'EAGAIN') throw err;
          await sleep(5);
          continue;
        }
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      const got = Buffer.concat(chunks);
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      // Not vacuous: the CLI's fd 1 was non-blocking (O_NONBLOCK, octal 04000) as it wrote.
      const flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(flagsFile, 'utf8'))![1], 8);
      expect(flags & constants.O_NONBLOCK).toBe(constants.O_NONBLOCK);
      expect(got.length).toBe(queued + Buffer.byteLength(expected));
      expect(got.subarray(0, queued).every((b) => b === 0x2e)).toBe(true);
      expect(got.subarray(queued).toString('utf8')).toBe(expected);
    } finally {
      if (writeFd >= 0) closeSync(writeFd);
      closeSync(readFd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
