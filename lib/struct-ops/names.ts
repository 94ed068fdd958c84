/**
 * Strips a CO-RE flavor suffix: `tcp_congestion_ops___v2` -> `tcp_congestion_ops`.
 * The separator is the last `___` that has a non-underscore on both sides (libbpf's rule),
 * so one object can carry several local variants of the same kernel struct.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** Prefix of the kernel value struct that wraps a struct_ops type T (`bpf_struct_ops_T`). */
export const VALUE_TYPE_PREFIX = 'bpf_struct_ops_';
