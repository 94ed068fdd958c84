/**
 * A synthetic "kernel-like" BTF blob for index and cache tests: a few hundred records
 * (several index blocks), repeated names of different kinds, flavored names, anonymous
 * types, functions and an enum, assembled word by word (independent of the encoder).
 */
import { BtfKind } from '../../../lib/btf';
import { info, rawBtf, strtab } from './raw';

export interface Synthetic {
  blob: Buffer;
  /** Every name given to a type, with the ids (ascending) and kinds that carry it. */
  names: Map<string, { id: number; kind: BtfKind }[]>;
  typeCount: number;
}

/**
 * Builds the blob; `salt` changes a few names (same size and header) to tell blobs apart,
 * `structs` (at most 1000) sets how many numbered structs it holds (120: about 8 KiB).
 */
export function synthetic(salt = 0, structs = 120): Synthetic {
  const names: string[] = ['int', 'a', 'b', 'dup', 'dup___flavor', 'ops', 'ops___v2', 'E_ONE', 'E_TWO', 'color', 'fn_proto_arg'];
  for (let i = 0; i < structs; i++) names.push(`s_${String(i + salt * 1000).padStart(4, '0')}`);
  for (let i = 0; i < 60; i++) names.push(`f_${String(i).padStart(3, '0')}`);
  const s = strtab(names);
  const words: number[] = [];
  const byName = new Map<string, { id: number; kind: BtfKind }[]>();
  let id = 0;
  const add = (name: string, kind: BtfKind, record: number[]): number => {
    id++;
    words.push(...record);
    if (name !== '') byName.set(name, [...(byName.get(name) ?? []), { id, kind }]);
    return id;
  };
  const intId = add('int', BtfKind.INT, [s.off('int'), info(BtfKind.INT), 4, 0x01000020]);
  for (let i = 0; i < structs; i++) {
    const name = `s_${String(i + salt * 1000).padStart(4, '0')}`;
    add(name, BtfKind.STRUCT, [s.off(name), info(BtfKind.STRUCT, 2), 8, s.off('a'), intId, 0, s.off('b'), intId, 32]);
    // An anonymous pointer after every struct, and a typedef sharing a struct's name now and then.
    add('', BtfKind.PTR, [0, info(BtfKind.PTR), id]);
    if (i % 17 === 0) add(name, BtfKind.TYPEDEF, [s.off(name), info(BtfKind.TYPEDEF), id - 1]);
  }
  const protoId = add('', BtfKind.FUNC_PROTO, [0, info(BtfKind.FUNC_PROTO, 1), intId, s.off('fn_proto_arg'), intId]);
  for (let i = 0; i < 60; i++) {
    const name = `f_${String(i).padStart(3, '0')}`;
    add(name, BtfKind.FUNC, [s.off(name), info(BtfKind.FUNC, 1), protoId]);
  }
  add('dup', BtfKind.STRUCT, [s.off('dup'), info(BtfKind.STRUCT, 0), 0]);
  add('dup', BtfKind.UNION, [s.off('dup'), info(BtfKind.UNION, 0), 0]);
  add('dup___flavor', BtfKind.STRUCT, [s.off('dup___flavor'), info(BtfKind.STRUCT, 0), 0]);
  add('ops', BtfKind.STRUCT, [s.off('ops'), info(BtfKind.STRUCT, 1), 4, s.off('a'), intId, 0]);
  add('ops___v2', BtfKind.STRUCT, [s.off('ops___v2'), info(BtfKind.STRUCT, 1), 4, s.off('b'), intId, 0]);
  add('color', BtfKind.ENUM, [s.off('color'), info(BtfKind.ENUM, 2), 4, s.off('E_ONE'), 1, s.off('E_TWO'), 2]);
  add('dup', BtfKind.TYPEDEF, [s.off('dup'), info(BtfKind.TYPEDEF), intId]);
  return { blob: rawBtf(words, s.bytes), names: byName, typeCount: id + 1 };
}
