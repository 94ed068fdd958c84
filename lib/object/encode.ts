import { BpfError } from '../errors';
import { Btf, BtfKind, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED } from '../btf';

/** A JS value that can be written into a BTF-typed scalar or char array. */
export type EncodableValue = number | bigint | boolean | string;

/**
 * Writes `value` into `out` (exactly the type's size) as BTF type `typeId`: integers and
 * enums with range checks, bools, floats, char arrays from strings (NUL-terminated, length
 * checked). Other kinds (structs, pointers, non-char arrays) cannot be written this way.
 *
 * @throws {RangeError} when the value does not fit; {BpfError} EINVAL for unsupported kinds.
 */
export function encodeScalar(btf: Btf, typeId: number, value: EncodableValue, out: Buffer, what: string): void {
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case BtfKind.INT:
      if (t.encoding & BTF_INT_BOOL) {
        out[0] = value ? 1 : 0;
        return;
      }
      writeInt(out, t.size, (t.encoding & BTF_INT_SIGNED) !== 0, toBigInt(value, what), what);
      return;
    case BtfKind.ENUM:
    case BtfKind.ENUM64: {
      const named = typeof value === 'string' ? t.values.find((v) => v.name === value) : undefined;
      if (typeof value === 'string' && !named) {
        throw new RangeError(`${what}: ${value} is not an enumerator of ${t.name || 'this enum'}`);
      }
      writeInt(out, t.size, t.signed, named ? BigInt(named.value) : toBigInt(value, what), what);
      return;
    }
    case BtfKind.FLOAT:
      if (typeof value !== 'number') throw new TypeError(`${what}: expected a number`);
      if (t.size === 4) out.writeFloatLE(value, 0);
      else if (t.size === 8) out.writeDoubleLE(value, 0);
      else throw new BpfError(`${what}: ${t.size}-byte floats are not supported`, { code: 'EINVAL' });
      return;
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.elemType);
      if (elem.kind === BtfKind.INT && elem.size === 1 && (elem.encoding & BTF_INT_CHAR || elem.name === 'char')) {
        if (typeof value !== 'string') throw new TypeError(`${what}: expected a string`);
        const bytes = Buffer.from(value, 'latin1');
        if (bytes.length >= out.length) {
          throw new RangeError(`${what}: "${value}" is ${bytes.length} chars; at most ${out.length - 1} fit (with the NUL)`);
        }
        out.fill(0);
        bytes.copy(out);
        return;
      }
      break;
    }
    default:
      break;
  }
  throw new BpfError(`${what}: a ${BtfKind[t.kind].toLowerCase()} cannot be set from a JS value`, {
    code: 'EINVAL', hint: 'only integers, enums, bools, floats and char arrays can be written',
  });
}

function toBigInt(value: EncodableValue, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new TypeError(`${what}: expected an integer, got ${JSON.stringify(value)}`);
}

function writeInt(out: Buffer, size: number, signed: boolean, v: bigint, what: string): void {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) throw new RangeError(`${what}: ${v} is out of range [${min}, ${max}]`);
  let u = BigInt.asUintN(Number(bits), v);
  for (let i = 0; i < size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
}
