/**
 * The arena fixture (test/fixtures/bpf/s11arena.bpf.c) and bad copies of it, made by
 * patching one number in its BTF: the map definition's `type` (`int (*type)[33]`) or
 * `max_entries` (`int (*max_entries)[4]`) is the element count of a BTF ARRAY type.
 */
import { readFileSync } from 'node:fs';
import { BpfError, probeArena } from '../../lib';
import { Btf, BtfKind } from '../../lib/btf';
import { parseElf } from '../../lib/elf';
import { fixture } from './fixtures';

export const ARENA_FIXTURE = fixture('s11arena');
/** `.addr_space.1` of the fixture: 44 bytes (s11arena.bpf.c's globals, in declaration order). */
export const ARENA_GLOBALS_SIZE = 44;
export const ARENA_PAGES = 4;
/** Offsets of the variables in `.addr_space.1` (llvm-readelf -s s11arena.bpf.o). */
export const ARENA_VARS = { arena_magic: 0, arena_counter: 8, arena_tag: 16, arena_from_user: 24, arena_page: 32, arena_seen: 40 };

/** Bytes of the BTF kind-specific data after each 12-byte btf_type (include/uapi/linux/btf.h). */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4; // INT, VAR, DECL_TAG
    case 3: return 12; // ARRAY
    case 4: case 5: case 15: case 19: return 12 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 8 * vlen; // ENUM, FUNC_PROTO
    default: return 0;
  }
}

/** File offset of BTF type `id` in an object. */
function typeOffset(obj: Buffer, id: number): number {
  const btf = parseElf(obj).section('.BTF')!;
  const d = btf.data;
  let at = d.readUInt32LE(4) + d.readUInt32LE(8); // hdr_len + type_off
  for (let cur = 1; cur < id; cur++) {
    const info = d.readUInt32LE(at + 4);
    at += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
  }
  return btf.offset + at;
}

/** A copy of the fixture with map definition member `member`'s __uint() value set to `value`. */
export function patchArenaDef(member: 'type' | 'max_entries', value: number): Buffer {
  const obj = Buffer.from(readFileSync(ARENA_FIXTURE));
  const elf = parseElf(obj);
  const btf = Btf.parse(elf.section('.BTF')!.data);
  const v = btf.findByName('arena_pages', BtfKind.VAR);
  if (v?.kind !== BtfKind.VAR) throw new Error('no VAR arena_pages');
  const def = btf.resolve(v.type);
  if (def.kind !== BtfKind.STRUCT) throw new Error('arena_pages is not a struct');
  const ptr = btf.resolve(def.members.find((m) => m.name === member)!.type);
  if (ptr.kind !== BtfKind.PTR) throw new Error(`${member} is not a pointer`);
  const at = typeOffset(obj, ptr.type) + 12 + 8; // btf_array.nelems
  obj.writeUInt32LE(value, at);
  return obj;
}

/**
 * 'yes', 'no' (the kernel has none: EOPNOTSUPP/EINVAL) or 'refused': EPERM although this root
 * process holds CAP_BPF and CAP_SYS_ADMIN (a security policy; seen on a Linux 6.18 VM whose
 * CapEff lacks only CAP_SYS_RESOURCE), read from /proc/self/status here, not by the library.
 */
export function arenaState(): 'yes' | 'no' | 'refused' {
  try {
    return probeArena() ? 'yes' : 'no';
  } catch (err) {
    const eff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))![1]}`);
    const privileged = ((eff >> 39n) & 1n) === 1n && ((eff >> 21n) & 1n) === 1n;
    if (err instanceof BpfError && err.code === 'EPERM' && privileged) return 'refused';
    throw err;
  }
}
