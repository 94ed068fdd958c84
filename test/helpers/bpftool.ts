import { execFileSync } from 'node:child_process';

/** Runs `bpftool -j ARGS` and parses its JSON output: the independent witness of kernel state. */
export function bpftoolJson<T = unknown>(...args: string[]): T {
  const out = execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const text = out.trim();
  if (text === '') return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    // bpftool 7.1 prints `dump id N` as a bare `{...},{...}` list without the brackets.
    return JSON.parse(`[${text}]`) as T;
  }
}

export interface BpftoolStructOps {
  id: number;
  name: string;
  kernel_struct_ops: string;
}

/** `bpftool struct_ops show` as parsed JSON ([] when none). */
export function structOpsShow(): BpftoolStructOps[] {
  try {
    return bpftoolJson<BpftoolStructOps[]>('struct_ops', 'show') ?? [];
  } catch {
    return [];
  }
}

/** `bpftool struct_ops dump id ID` (an array of {bpf_map_info} and {bpf_struct_ops_T} objects). */
export function structOpsDump(id: number): Record<string, unknown>[] {
  return bpftoolJson<Record<string, unknown>[]>('struct_ops', 'dump', 'id', String(id));
}

/** `bpftool map show id ID`. */
export function mapShow(id: number): { id: number; name: string; type: string; flags: number; bytes_value: number } {
  return bpftoolJson('map', 'show', 'id', String(id));
}

/** `bpftool prog show id ID`. */
export function progShow(id: number): { id: number; name: string; type: string } {
  return bpftoolJson('prog', 'show', 'id', String(id));
}
