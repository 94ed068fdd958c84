/**
 * Hand-assembles BTF blobs for tests, independent of the encoder under test: records are
 * given as u32 words and the string section as a list of names.
 */

/** A string section plus the offset of each name in it. */
export interface Strtab {
  bytes: Buffer;
  off: (name: string) => number;
}

/** Builds a string section starting at global offset `startOff` (0 for a base BTF). */
export function strtab(names: string[], opts: { leadingNul?: boolean; startOff?: number } = {}): Strtab {
  const parts: Buffer[] = opts.leadingNul === false ? [] : [Buffer.from([0])];
  const offs = new Map<string, number>([['', 0]]);
  let len = parts.length;
  for (const n of names) {
    offs.set(n, (opts.startOff ?? 0) + len);
    const b = Buffer.from(`${n}\0`, 'utf8');
    parts.push(b);
    len += b.length;
  }
  return {
    bytes: Buffer.concat(parts),
    off: (name) => {
      const o = offs.get(name);
      if (o === undefined) throw new Error(`no string ${name}`);
      return o;
    },
  };
}

/** info word: kind, vlen, kind_flag. */
export function info(kind: number, vlen = 0, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** Header fields that tests may override to build broken blobs. */
export interface HeaderOverrides {
  magic?: number;
  version?: number;
  flags?: number;
  hdrLen?: number;
  typeOff?: number;
  typeLen?: number;
  strOff?: number;
  strLen?: number;
}

/** Assembles header + type words + strings (types first, like clang and pahole). */
export function rawBtf(words: number[], strings: Buffer, h: HeaderOverrides = {}): Buffer {
  const types = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => types.writeUInt32LE(w >>> 0, i * 4));
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(h.magic ?? 0xeb9f, 0);
  hdr.writeUInt8(h.version ?? 1, 2);
  hdr.writeUInt8(h.flags ?? 0, 3);
  hdr.writeUInt32LE(h.hdrLen ?? 24, 4);
  hdr.writeUInt32LE(h.typeOff ?? 0, 8);
  hdr.writeUInt32LE(h.typeLen ?? types.length, 12);
  hdr.writeUInt32LE(h.strOff ?? types.length, 16);
  hdr.writeUInt32LE(h.strLen ?? strings.length, 20);
  return Buffer.concat([hdr, types, strings]);
}
