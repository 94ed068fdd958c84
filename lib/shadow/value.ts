// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The shadow value of a struct_ops map: a live, typed view of the variable's local image
 * (libbpf's skeleton `struct_ops.NAME`, KERNEL-FACTS §3). Data members read and write the
 * bytes load() copies into the kernel value; function-pointer members read and write the
 * member -> program bindings load() turns into program fds.
 */
import { inspect } from 'node:util';
import { BpfError } from '../errors';
import { readMember, show, ShadowWriteError, writeMember } from './codec';
import type { ShadowMember } from './layout';

/** What a shadow value needs of a program (BpfProgram satisfies it). */
export interface ShadowProgram {
  readonly name: string;
  readonly section: string;
  readonly spec: { readonly structOps: boolean };
  autoload: boolean | undefined;
}

/** The map-side state a shadow value reads and edits; StructOpsMap provides it. */
export interface ShadowHost<P extends ShadowProgram> {
  /** Map (variable) name, for messages. */
  readonly map: string;
  /** Object name or path, for messages. */
  readonly object: string;
  /** C name of the local struct, for messages. */
  readonly typeName: string;
  /** The local image load() reads (edited in place). */
  readonly data: Buffer;
  readonly members: readonly ShadowMember[];
  /** Member -> program bindings load() reads (edited in place). */
  readonly bindings: Map<string, P>;
  /** True once load() has started: from then on the value is read-only. */
  locked(): boolean;
  /** True when `p` is a program of the same object. */
  owns(p: unknown): p is P;
  /** True when some struct_ops map of the object binds `p` to a member. */
  inUse(p: P): boolean;
}

/**
 * Names that tools probe on any object (promise resolution, Jest, React-style checks);
 * they read as undefined instead of failing as unknown members.
 */
const PROBES: ReadonlySet<string> = new Set([
  'then', 'asymmetricMatch', '$$typeof', 'nodeType', 'tagName', '@@__IMMUTABLE_ITERABLE__@@', '@@__IMMUTABLE_RECORD__@@',
]);

/**
 * Builds the shadow value of one struct_ops map: a Proxy whose own enumerable properties
 * are the struct's members. Integers, enums and chars are numbers (bigints beyond 32
 * bits), bools booleans, floats numbers, char arrays strings, function pointers a program
 * or null; other members read as a copy of their bytes and refuse writes. Unknown member
 * names throw (a typo must not pass silently), and every write throws once load() starts.
 *
 * @throws {BpfError} from property access: ENOENT (unknown member), EINVAL/ERANGE (bad
 *   value), EOPNOTSUPP (read-only member kind), EBUSY (after load() started)
 */
export function createShadowValue<P extends ShadowProgram>(host: ShadowHost<P>): Record<string, unknown> {
  const byName = new Map(host.members.map((m) => [m.name, m]));
  const where = (m: string, hint?: string) => ({ object: host.object, map: host.map, member: m, hint });

  const read = (m: ShadowMember): unknown => (m.kind === 'program' ? host.bindings.get(m.name) ?? null : readMember(m, host.data));

  const unknownMember = (key: string): BpfError => {
    const names = host.members.map((m) => m.name);
    const guess = closest(key, names);
    return new BpfError(
      `struct_ops ${host.map}: struct ${host.typeName} has no member ${JSON.stringify(key)}; members: ${names.join(', ')}`,
      { code: 'ENOENT', ...where(key, guess ? `did you mean ${guess}?` : 'member names are the C names of the struct') },
    );
  };

  const write = (m: ShadowMember, input: unknown): void => {
    if (host.locked()) {
      throw new BpfError(`struct_ops ${host.map}: member ${m.name} cannot change: load() has started`, {
        code: 'EBUSY', ...where(m.name, 'edit shadow values (map.value) after openObject() and before load()'),
      });
    }
    try {
      if (m.kind === 'program') setProgram(m, input);
      else writeMember(m, host.data, input);
    } catch (err) {
      if (!(err instanceof ShadowWriteError)) throw err;
      throw new BpfError(`struct_ops ${host.map}: member ${m.name} (${m.cType}) ${err.why}`, {
        code: err.code, ...where(m.name, err.code === 'EOPNOTSUPP' ? 'leave this member as compiled' : undefined),
      });
    }
  };

  const setProgram = (m: ShadowMember, input: unknown): void => {
    const old = host.bindings.get(m.name);
    if (input === null) {
      host.bindings.delete(m.name);
    } else {
      if (!host.owns(input)) {
        throw new ShadowWriteError(`takes a program of the same object (obj.programs.get(NAME)) or null, got ${describe(input)}`, 'EINVAL');
      }
      if (!input.spec.structOps) {
        throw new ShadowWriteError(
          `takes a struct_ops program; ${input.name} is in section ${input.section} (use SEC("struct_ops/..."))`, 'EINVAL');
      }
      host.bindings.set(m.name, input);
      // Now referenced: it loads by the default rule again (libbpf does the same at load).
      if (input.autoload === false) input.autoload = undefined;
    }
    // Like libbpf, a program no member uses any more is not loaded (and not warned about).
    if (old !== undefined && old !== input && !host.inUse(old)) old.autoload = false;
  };

  const snapshot = (json: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const m of host.members) {
      const v = read(m);
      if (!json) out[m.name] = v !== null && typeof v === 'object' && !Buffer.isBuffer(v) ? `[program ${(v as P).name}]` : v;
      else if (typeof v === 'bigint') out[m.name] = v.toString();
      else if (Buffer.isBuffer(v)) out[m.name] = v.toString('hex');
      else out[m.name] = v !== null && typeof v === 'object' ? (v as P).name : v;
    }
    return out;
  };

  // The target only carries toJSON and the util.inspect hook (Node inspects a Proxy's target).
  const target: Record<string | symbol, unknown> = {};
  Object.defineProperty(target, 'toJSON', { value: () => snapshot(true), configurable: true });
  Object.defineProperty(target, inspect.custom, { value: () => snapshot(false), configurable: true });

  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string') {
        const m = byName.get(key);
        if (m) return read(m);
      }
      if (key in t || typeof key === 'symbol' || PROBES.has(key)) return Reflect.get(t, key, receiver);
      throw unknownMember(key);
    },
    set(_t, key, input) {
      const m = typeof key === 'string' ? byName.get(key) : undefined;
      if (!m) throw unknownMember(String(key));
      write(m, input);
      return true;
    },
    has(t, key) {
      return (typeof key === 'string' && byName.has(key)) || key in t;
    },
    ownKeys() {
      return host.members.map((m) => m.name);
    },
    getOwnPropertyDescriptor(_t, key) {
      const m = typeof key === 'string' ? byName.get(key) : undefined;
      if (!m) return undefined;
      const writable = !host.locked() && m.kind !== 'raw' && m.kind !== 'bitfield';
      return { value: read(m), writable, enumerable: true, configurable: true };
    },
    defineProperty(_t, key) {
      const m = typeof key === 'string' ? byName.get(key) : undefined;
      if (!m) throw unknownMember(String(key));
      throw new BpfError(`struct_ops ${host.map}: member ${m.name} can only be assigned, not redefined`, { code: 'EINVAL', ...where(m.name) });
    },
    deleteProperty(_t, key) {
      throw new BpfError(`struct_ops ${host.map}: members cannot be deleted (${String(key)}); assign null or 0 instead`, {
        code: 'EINVAL', ...where(String(key)),
      });
    },
    preventExtensions() {
      // Its members are fixed by BTF already; reporting non-extensible would break ownKeys.
      return false;
    },
    setPrototypeOf() {
      return false;
    },
  });
}

function describe(input: unknown): string {
  if (input !== null && typeof input === 'object' && typeof (input as { name?: unknown }).name === 'string' && 'spec' in input) {
    return `program ${(input as unknown as { name: string }).name} of another object`;
  }
  return show(input);
}

/** The candidate within edit distance 2 of `key`, if exactly one is closest. */
function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
