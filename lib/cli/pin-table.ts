// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Which pins on the mounted BPF filesystems hold a given link or map, so `unregister NAME`
 * can remove the pins of what it ends (the kernel does not record pin paths: like bpftool's
 * pinned-object table, this walks every bpffs mount and asks each pin what it is).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedObject } from '../index';

export type PinKind = 'link' | 'map';

/** At most this many directory entries are looked at, so a huge bpffs cannot stall the CLI. */
const MAX_ENTRIES = 100_000;

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

/**
 * Paths of pins of the `kind` object with kernel id `id`, under every bpffs mount.
 * Entries that cannot be opened (not a BPF object, no permission) are skipped.
 */
export function pinsOf(kind: PinKind, id: number, roots: string[] = bpffsMounts()): string[] {
  const found: string[] = [];
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
      else if (e.isFile() && pinnedId(path, kind) === id) found.push(path);
    }
  };
  for (const root of roots) walk(root);
  return found;
}

function pinnedId(path: string, kind: PinKind): number | undefined {
  try {
    const pinned = pinnedObject(path);
    return pinned?.kind === kind ? pinned.id : undefined;
  } catch {
    return undefined;
  }
}
