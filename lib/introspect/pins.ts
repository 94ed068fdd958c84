// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Which pins on the mounted BPF filesystems hold a given link or map, so unregistering can
 * remove the pins of what it ends (the kernel does not record pin paths: like bpftool's
 * pinned-object table, this walks every bpffs mount and asks each pin what it is).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, isBpfError } from '../errors';
import { Fd, linkGetInfo, mapGetInfo, objGet } from '../sys';

export type PinKind = 'link' | 'map';

/** At most this many directory entries are looked at, so a huge bpffs cannot stall the walk. */
const MAX_ENTRIES = 100_000;

/**
 * OBJ_GET answers for an entry that is no pin this process can use: ENOENT for the files
 * bpf_preload puts there (maps.debug, progs.debug) and entries removed meanwhile,
 * EACCES/EPERM for pins this user may not open. Any other refusal (ENOMEM, ...) means
 * the entry could not be asked, and might be a pin of what is being looked for.
 */
const NOT_OUR_PIN = new Set(['ENOENT', 'EACCES', 'EPERM']);

/** Mount points of BPF filesystems, from /proc/self/mountinfo (field 5; fs type after " - "). */
export function bpffsMounts(): string[] {
  const mounts: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.split(' ')[0] !== 'bpf') continue;
    // Octal escapes (\040 for a space) as the kernel writes them.
    mounts.push(left.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return [...new Set(mounts)];
}

/** Every pinned link and map under the bpffs mounts: `'link:ID'` / `'map:ID'` -> pin paths. */
export class PinTable {
  readonly #paths = new Map<string, string[]>();

  /**
   * Walks `roots` (every bpffs mount by default) and asks each entry what it is.
   * @throws {BpfError} when an entry could not be asked (e.g. ENOMEM): a table that might
   *   miss a pin is not returned, so nothing gets unregistered with its pin left unnamed.
   */
  constructor(roots: string[] = bpffsMounts()) {
    let budget = MAX_ENTRIES;
    const walk = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (--budget < 0) return;
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.isFile()) this.#add(path);
      }
    };
    for (const root of roots) walk(root);
  }

  /** Pins of the `kind` object with kernel id `id`. */
  pinsOf(kind: PinKind, id: number): string[] {
    return this.#paths.get(`${kind}:${id}`) ?? [];
  }

  #add(path: string): void {
    let fd: Fd;
    try {
      fd = objGet(path);
    } catch (err) {
      if (isBpfError(err) && NOT_OUR_PIN.has(err.code)) return;
      throw cannotAsk(path, err);
    }
    try {
      let what: string;
      try {
        what = readlinkSync(`/proc/self/fd/${fd.raw}`);
      } catch {
        return;
      }
      let key: string | undefined;
      try {
        if (what === 'anon_inode:bpf-link') key = `link:${linkGetInfo(fd).id}`;
        else if (what === 'anon_inode:bpf-map') key = `map:${mapGetInfo(fd).id}`;
      } catch (err) {
        throw cannotAsk(path, err);
      }
      if (key !== undefined) this.#paths.set(key, [...(this.#paths.get(key) ?? []), path]);
    } finally {
      fd.close();
    }
  }
}

function cannotAsk(path: string, err: unknown): BpfError {
  const cause = isBpfError(err) ? err : undefined;
  return new BpfError(`cannot tell what is pinned at ${path} (${cause?.message ?? String(err)})`, {
    code: cause?.code ?? 'EIO', errno: cause?.errno, command: cause?.command, cause: err,
    hint: 'its pin would be left behind; try again (ENOMEM and the like are passing)',
  });
}
