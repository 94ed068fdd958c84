/**
 * JSON output for `--json`: like JSON.stringify, but 64-bit integers (bigint) are written as
 * exact digits, the way bpftool prints u64 fields, instead of throwing.
 */
export function toJson(value: unknown): string {
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
      if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
      if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('hex'));
      const fields = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && typeof v !== 'function')
        .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`);
      return `{${fields.join(',')}}`;
    }
    default:
      return 'null';
  }
}
