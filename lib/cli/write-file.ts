// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BpfError } from '../index';

/**
 * Writes `path` whole or not at all, and never through a symlink: the text goes to a new
 * file created exclusively (O_EXCL: never an existing file or link) in the same directory,
 * which then replaces `path` by rename - a symlink at `path` is replaced, not followed.
 * @throws {BpfError} with the system error's code (EACCES, ENOENT, ...).
 */
export function writeFileReplacing(path: string, text: string, mode = 0o644): void {
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, text, { flag: 'wx', mode });
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BpfError(`cannot write ${target}: ${code} (${(err as Error).message})`, { code, cause: err });
  }
}
