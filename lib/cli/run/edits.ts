/**
 * `--set MAP.MEMBER=VALUE` and `--rodata VAR=VALUE`: command-line text turned into the
 * typed values of the shadow value and globals API, whose checks (member and variable
 * names, ranges, string lengths, program ownership) then apply unchanged.
 */
import { BpfError, BpfObject, BpfProgram } from '../../index';

/** `NAME=VALUE` split at the first `=`. @throws {BpfError} EINVAL without one. */
export function splitAssignment(flag: string, text: string): { name: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new BpfError(`--${flag} ${JSON.stringify(text)}: expected NAME=VALUE`, {
      code: 'EINVAL', hint: flag === 'set' ? 'e.g. --set mycc.name=mycc2' : 'e.g. --rodata max_tasks=1024',
    });
  }
  return { name: text.slice(0, eq), value: text.slice(eq + 1) };
}

/**
 * What a command-line value may mean, most specific first: an integer (decimal, 0x hex,
 * negative) as a bigint (the codec range-checks every width), a bool, a float, else the
 * string itself. Each is tried until the member's type accepts one.
 */
export function candidates(text: string): (bigint | number | boolean | string)[] {
  const out: (bigint | number | boolean | string)[] = [];
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const neg = text.startsWith('-');
    const n = BigInt(neg ? text.slice(1) : text);
    out.push(neg ? -n : n);
    if (n <= 1n && !neg) out.push(Number(n)); // bools take 0 and 1 as numbers
  }
  if (text === 'true' || text === 'false') out.push(text === 'true');
  if (/^-?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(text) && text.trim() !== '') out.push(Number(text));
  out.push(text);
  return out;
}

/** Tries each candidate; rethrows the first refusal when none fits (it names the type). */
function assignFirstFitting(values: unknown[], assign: (v: unknown) => void): void {
  let first: unknown;
  for (const v of values) {
    try {
      assign(v);
      return;
    } catch (err) {
      if (!(err instanceof BpfError) || (err.code !== 'EINVAL' && err.code !== 'ERANGE')) throw err;
      first ??= err;
    }
  }
  throw first;
}

/**
 * `--set MAP.MEMBER=VALUE` on the map's shadow value. A function-pointer member takes a
 * program name of the object (or `null`).
 * @throws {BpfError} ENOENT for an unknown map or member; EINVAL/ERANGE from the codec
 */
export function applySet(obj: BpfObject, text: string): void {
  const { name: path, value } = splitAssignment('set', text);
  const dot = path.indexOf('.');
  if (dot <= 0 || dot === path.length - 1) {
    throw new BpfError(`--set ${JSON.stringify(text)}: expected MAP.MEMBER=VALUE`, { code: 'EINVAL', hint: 'e.g. --set mycc.name=mycc2' });
  }
  const mapName = path.slice(0, dot);
  const member = path.slice(dot + 1);
  const map = obj.structOps.get(mapName);
  if (!map) {
    throw new BpfError(`--set ${path}: no struct_ops map named ${mapName}`, {
      code: 'ENOENT', map: mapName, hint: `struct_ops maps: ${[...obj.structOps.keys()].join(', ')}`,
    });
  }
  const shadow = map.value as Record<string, unknown>;
  const current = shadow[member]; // an unknown member throws ENOENT naming the members
  const values: unknown[] = current instanceof BpfProgram || current === null
    ? [value === 'null' ? null : obj.programs.get(value) ?? value]
    : candidates(value);
  assignFirstFitting(values, (v) => {
    shadow[member] = v;
  });
}

/**
 * `--rodata VAR=VALUE`: a `const volatile` tunable, in `.rodata` or a `.rodata.*` section.
 * @throws {BpfError} ENOENT when no read-only section has VAR; EINVAL/ERANGE from the codec
 */
export function applyRodata(obj: BpfObject, text: string): void {
  const { name, value } = splitAssignment('rodata', text);
  const sections = [...obj.maps.values()].filter((m) => m.spec.kind === 'data' && /^\.rodata(\.|$)/.test(m.name)).map((m) => m.name);
  const section = sections.find((s) => hasVariable(obj, s, name));
  if (!section) {
    throw new BpfError(`--rodata ${name}: ${sections.length === 0 ? `${obj.name} has no .rodata section` : `no variable ${name} in ${sections.join(', ')}`}`, {
      code: 'ENOENT', object: obj.name, hint: 'a tunable is a `const volatile` global in the BPF C source',
    });
  }
  assignFirstFitting(candidates(value) as unknown[], (v) => obj.setGlobals(section, { [name]: v as string }));
}

/** Whether the section's DATASEC lists `name`, through the object's BTF. */
function hasVariable(obj: BpfObject, section: string, name: string): boolean {
  const btf = obj.spec.btf;
  const sec = btf.findByName(section, 'datasec');
  if (!sec || !('vars' in sec)) return false;
  return sec.vars.some((v) => btf.typeById(v.type).name === name);
}
