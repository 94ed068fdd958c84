import { Btf } from '../../lib/btf';
import type { ObjectSpec } from '../../lib/object';

/**
 * Copies of every Buffer an ObjectSpec holds (initial data, struct_ops images, instructions,
 * arena globals, the BTF bytes), by path: compare two calls to see that nothing wrote them.
 */
export function specBytes(spec: ObjectSpec): Map<string, Buffer> {
  const out = new Map<string, Buffer>([['btf.raw', Buffer.from(spec.btf.raw)]]);
  const seen = new Set<object>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || seen.has(value) || value instanceof Btf || value === spec.btfExt) return;
    seen.add(value);
    if (Buffer.isBuffer(value)) {
      out.set(path, Buffer.from(value));
      return;
    }
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    for (const [k, v] of entries) walk(v, `${path}.${String(k)}`);
  };
  walk(spec, 'spec');
  return out;
}
