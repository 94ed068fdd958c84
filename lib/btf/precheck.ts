// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * A quick pass over scanned type records that finds every record the decoder could
 * reject, without building any type object or string. An eager parse runs it and decodes
 * only the records it flags (which then throw the decoder's own error, or turn out fine),
 * so checking everything up front costs a loop over integers, and types are decoded when
 * they are used. It must never miss a record that decodeType would reject; flagging one
 * that decodes fine only costs that decode.
 */
import type { TypeTable } from './type-table';
import { BtfKind } from './types';

/** Bits of INT data that carry nothing (as in decode.ts). */
const INT_RESERVED = 0xf000ff00;

/**
 * Returns the index of the first record at or after `from` that decodeType might reject,
 * or -1. References must stay below `typeCount`, name offsets below `stringsLength` (the
 * string section must already be known to end with a NUL, so every offset in range names
 * a terminated string).
 */
export function firstSuspect(table: TypeTable, from: number, typeCount: number, stringsLength: number): number {
  const w = table.words;
  const offsets = table.offsets;
  for (let i = from; i < table.count; i++) {
    const at = offsets[i];
    const info = w[at + 1];
    const sizeType = w[at + 2];
    const vlen = info & 0xffff;
    const p = at + 3;
    if (w[at] >= stringsLength) return i;
    switch ((info >>> 24) & 0x1f) {
      case BtfKind.INT: {
        const bits32 = w[p];
        const bits = bits32 & 0xff;
        if ((bits32 & INT_RESERVED) !== 0 || bits > 128 || ((bits32 >>> 16) & 0xff) + bits > sizeType * 8) return i;
        break;
      }
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.FUNC:
      case BtfKind.VAR:
        if (sizeType >= typeCount) return i;
        break;
      case BtfKind.ARRAY:
        if (sizeType !== 0 || w[p] >= typeCount || w[p + 1] >= typeCount) return i;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        for (let m = p, end = p + 3 * vlen; m < end; m += 3) {
          if (w[m] >= stringsLength || w[m + 1] >= typeCount) return i;
        }
        break;
      case BtfKind.ENUM:
        for (let v = p, end = p + 2 * vlen; v < end; v += 2) if (w[v] >= stringsLength) return i;
        break;
      case BtfKind.ENUM64:
        for (let v = p, end = p + 3 * vlen; v < end; v += 3) if (w[v] >= stringsLength) return i;
        break;
      case BtfKind.FWD:
        if (sizeType !== 0) return i;
        break;
      case BtfKind.FUNC_PROTO:
        if (sizeType >= typeCount) return i;
        for (let q = p, end = p + 2 * vlen; q < end; q += 2) {
          if (w[q] >= stringsLength || w[q + 1] >= typeCount) return i;
        }
        break;
      case BtfKind.DATASEC:
        for (let v = p, end = p + 3 * vlen; v < end; v += 3) if (w[v] >= typeCount) return i;
        break;
      case BtfKind.FLOAT:
        break;
      case BtfKind.DECL_TAG:
        if (sizeType >= typeCount || (w[p] | 0) < -1) return i;
        break;
      default:
        return i;
    }
  }
  return -1;
}
