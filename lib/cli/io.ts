// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The CLI's output plumbing: process streams that survive a reader going away, and the
 * per-command writer that prints either text or one JSON document and reports failures
 * one way for every command.
 */
import { writeSync } from 'node:fs';
import { UsageError } from './args';
import { CliIo, CommandIo, EXIT_FAIL, EXIT_USAGE } from './command';
import { errorPrefix, failureText } from './errors';
import { toJson } from './format/json';

/**
 * stdout/stderr lines. When the reader of a stream goes away (`struct-ops show | head -1`),
 * writing to it fails with EPIPE: from then on that stream's output is dropped, quietly,
 * and the command runs to its end and exits with its own status (0 on success) - a command
 * that changes the kernel is never cut off half way, so its status still tells what it did.
 */
export function stdio(): CliIo {
  return { out: fdLineWriter(1, () => process.stdout), err: fdLineWriter(2, () => process.stderr) };
}

/**
 * Lines written to `fd` with write(2) itself: the first touch of `process.stdout` on a pipe
 * builds a net.Socket and loads Node's stream modules, 3-8 ms of every command
 * (docs/startup.md). A descriptor the parent made non-blocking can refuse a write with
 * EAGAIN; the rest of that line and every later one then go through the stream, which
 * waits for the reader. A closed descriptor (EBADF) drops the output as Node's own dummy
 * stdout would.
 */
export function fdLineWriter(fd: number, stream: () => NodeJS.WritableStream, write: typeof writeSync = writeSync): (line: string) => void {
  let closed = false;
  let viaStream: ((bytes: Buffer) => void) | undefined;
  return (line) => {
    if (closed) return;
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    if (viaStream) return viaStream(bytes);
    let done = 0;
    try {
      while (done < bytes.length) done += write(fd, bytes, done, bytes.length - done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'EBADF') closed = true;
      else if (code === 'EAGAIN') (viaStream = streamWriter(stream()))(bytes.subarray(done));
      else throw err;
    }
  };
}

function streamWriter(stream: NodeJS.WritableStream): (bytes: Buffer) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closed = true;
    else throw err;
  });
  return (bytes) => {
    if (!closed && !(stream as { destroyed?: boolean }).destroyed) stream.write(bytes);
  };
}

export interface CommandIoOptions {
  json?: boolean;
  /** Indented JSON (`-p`, `--pretty`; implies JSON, as in bpftool). */
  pretty?: boolean;
}

/** A {@link CommandIo} over `base`; call `finish` with the command's exit code when it returns. */
export function commandIo(base: CliIo, command: string | undefined, options: CommandIoOptions = {}): CommandIo & { finish(code: number): number } {
  const json = options.json === true || options.pretty === true;
  const indent = options.pretty ? 2 : 0;
  const errors: string[] = [];
  let document: { value: unknown } | undefined;
  const prefix = errorPrefix(command);
  return {
    command: command ?? '',
    json,
    out: base.out,
    err: base.err,
    get failed() {
      return errors.length > 0;
    },
    emit(value) {
      document = { value };
    },
    warn(message) {
      base.err(`warning: ${message}`);
    },
    note(message) {
      base.err(`note: ${message}`);
    },
    fail(err) {
      const text = failureText(err);
      if (!text) throw err;
      errors.push(text.message);
      if (!json) base.err(`${prefix}${text.message}`);
      if (text.hint) base.err(`hint: ${text.hint}`);
      return err instanceof UsageError ? EXIT_USAGE : EXIT_FAIL;
    },
    finish(code) {
      if (!json) return code;
      if (errors.length > 0) base.out(toJson({ error: errors.join('; ') }, indent));
      // A document that reports a negative result itself (inspect's ok: false) stands.
      else if (document) base.out(toJson(document.value, indent));
      else if (code !== 0) base.out(toJson({ error: `${command ?? 'struct-ops'} failed (exit status ${code})` }, indent));
      return code;
    },
  };
}
