/**
 * Reads the type records of an encoded BTF blob word by word, independent of lib/btf's
 * decoder, so sanitization tests assert what the kernel will actually read.
 */

/** One type record: the three common words and what follows them. */
export interface RawRecord {
  id: number;
  name: string;
  kind: number;
  vlen: number;
  kflag: boolean;
  /** size or type (third word). */
  sizeType: number;
  /** The words after the common header. */
  tail: number[];
  /** Whole record size in bytes. */
  bytes: number;
}

function tailWords(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 1; // INT, VAR, DECL_TAG
    case 3: return 3; // ARRAY
    case 4: case 5: case 15: case 19: return 3 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 2 * vlen; // ENUM, FUNC_PROTO
    default: return 0;
  }
}

/** All records of a (non-split) blob, with names read from its string section. */
export function rawRecords(blob: Buffer): { records: RawRecord[]; str: (off: number) => string; typeLen: number } {
  const hdrLen = blob.readUInt32LE(4);
  const typeOff = hdrLen + blob.readUInt32LE(8);
  const typeLen = blob.readUInt32LE(12);
  const strOff = hdrLen + blob.readUInt32LE(16);
  const str = (off: number): string => {
    const start = strOff + off;
    return blob.toString('utf8', start, blob.indexOf(0, start));
  };
  const records: RawRecord[] = [];
  let pos = typeOff;
  for (let id = 1; pos < typeOff + typeLen; id++) {
    const info = blob.readUInt32LE(pos + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const n = tailWords(kind, vlen);
    const tail: number[] = [];
    for (let i = 0; i < n; i++) tail.push(blob.readUInt32LE(pos + 12 + i * 4));
    records.push({
      id, name: str(blob.readUInt32LE(pos)), kind, vlen, kflag: (info & 0x80000000) !== 0,
      sizeType: blob.readUInt32LE(pos + 8), tail, bytes: 12 + n * 4,
    });
    pos += 12 + n * 4;
  }
  return { records, str, typeLen };
}
