/**
 * JSON output for `--json`: like JSON.stringify, but 64-bit integers (bigint) are written as
 * exact digits, the way bpftool prints u64 fields, instead of throwing. `indent` > 0 gives
 * `-p`/`--pretty` output.
 */
export function toJson(value: unknown, indent = 0): string {
  return write(value, indent, '');
}

function write(value: unknown, indent: number, at: string): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('hex'));
      const inner = at + ' '.repeat(indent);
      const wrap = (open: string, parts: string[], close: string): string => {
        if (indent === 0 || parts.length === 0) return `${open}${parts.join(',')}${close}`;
        return `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${at}${close}`;
      };
      if (Array.isArray(value)) return wrap('[', value.map((v) => write(v, indent, inner)), ']');
      const fields = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && typeof v !== 'function')
        .map(([k, v]) => `${JSON.stringify(k)}:${indent ? ' ' : ''}${write(v, indent, inner)}`);
      return wrap('{', fields, '}');
    }
    default:
      return 'null';
  }
}

/**
 * Our own records with bpftool's key style: every object key camelCase -> snake_case,
 * recursively (`valueSize` -> `value_size`, `structOps` -> `struct_ops`). Only for shapes
 * whose keys are our field names - never for decoded kernel data, whose keys are C names.
 */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(v)]));
}
