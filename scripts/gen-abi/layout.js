'use strict';
/**
 * Turns UAPI types in BTF into flat layouts: every member (nested anonymous structs and
 * unions flattened, named nested aggregates as `outer.inner`) with its byte offset and size.
 */
const { KIND, resolve, sizeOf } = require('./btf-read');

/** The UAPI types the generator emits, by kind and name. */
const STRUCT_ROOTS = [
  'bpf_map_info', 'bpf_prog_info', 'bpf_link_info', 'bpf_btf_info',
  'bpf_insn', 'bpf_func_info', 'bpf_line_info',
];
const ENUM_ROOTS = ['bpf_cmd', 'bpf_map_type', 'bpf_prog_type', 'bpf_attach_type', 'bpf_link_type'];

/**
 * Names for the anonymous command structs of union bpf_attr, keyed by their first member's
 * name (the kernel headers name them only in comments: "anonymous struct used by
 * BPF_PROG_LOAD command"). A new anonymous struct stops the generator instead of getting a
 * made-up name.
 */
const ANONYMOUS_COMMANDS = {
  map_type: 'map_create', // BPF_MAP_CREATE
  map_fd: 'map_elem', // BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, BPF_MAP_GET_NEXT_KEY, BPF_MAP_FREEZE
  prog_type: 'prog_load', // BPF_PROG_LOAD
  pathname: 'obj', // BPF_OBJ_PIN, BPF_OBJ_GET
  target_fd: 'prog_attach', // BPF_PROG_ATTACH, BPF_PROG_DETACH
  start_id: 'get_id', // BPF_*_GET_NEXT_ID, BPF_*_GET_FD_BY_ID
  btf: 'btf_load', // BPF_BTF_LOAD
};

function findNamed(types, kinds, name) {
  const hits = types.filter((t) => kinds.includes(t.kind) && t.name === name);
  if (hits.length === 0) throw new Error(`BTF has no ${name}`);
  return hits[0];
}

/** The first leaf member name of a composite (looking into anonymous members). */
function firstLeafName(types, composite) {
  const first = composite.members[0];
  if (first === undefined) return '';
  if (first.name !== '') return first.name;
  return firstLeafName(types, resolve(types, first.type));
}

function flatten(types, composite, baseBits, prefix, out) {
  for (const m of composite.members) {
    const bits = baseBits + m.bitOffset;
    const target = resolve(types, m.type);
    const isComposite = target.kind === KIND.STRUCT || target.kind === KIND.UNION;
    if (m.name === '') {
      if (!isComposite) throw new Error(`anonymous non-aggregate member in ${composite.name || 'anonymous type'}`);
      flatten(types, target, bits, prefix, out);
      continue;
    }
    const name = prefix + m.name;
    if (out.has(name)) throw new Error(`member ${name} appears twice`);
    if (m.bitfieldSize !== 0) {
      out.set(name, { bitOffset: bits, bitSize: m.bitfieldSize });
      continue;
    }
    if (bits % 8 !== 0) throw new Error(`member ${name} is not byte aligned`);
    out.set(name, { offset: bits / 8, size: sizeOf(types, m.type) });
    if (isComposite) flatten(types, target, bits, `${name}.`, out);
  }
}

/** `{size, fields}` for one struct or union; fields in declaration order. */
function layoutOf(types, composite) {
  const fields = new Map();
  flatten(types, composite, 0, '', fields);
  return { size: composite.size, fields };
}

/**
 * Every layout and enum the generator emits.
 * @returns {{attrSize: number, commands: Map, structs: Map, enums: Map}}
 */
function collect(types) {
  const attr = findNamed(types, [KIND.UNION], 'bpf_attr');
  const commands = new Map();
  for (const m of attr.members) {
    const target = resolve(types, m.type);
    if (target.kind !== KIND.STRUCT) throw new Error(`union bpf_attr member ${m.name || '(anonymous)'} is not a struct`);
    let name = m.name;
    if (name === '') {
      const first = firstLeafName(types, target);
      name = ANONYMOUS_COMMANDS[first];
      if (name === undefined) {
        throw new Error(`union bpf_attr has a new anonymous struct starting with ${first}: name it in ANONYMOUS_COMMANDS`);
      }
    }
    if (commands.has(name)) throw new Error(`union bpf_attr: two command structs named ${name}`);
    commands.set(name, layoutOf(types, target));
  }
  const structs = new Map();
  for (const name of STRUCT_ROOTS) structs.set(name, layoutOf(types, findNamed(types, [KIND.STRUCT], name)));
  const enums = new Map();
  for (const name of ENUM_ROOTS) {
    const e = findNamed(types, [KIND.ENUM, KIND.ENUM64], name);
    enums.set(name, e.values);
  }
  return { attrSize: attr.size, commands, structs, enums, roots: [attr, ...STRUCT_ROOTS.map((n) => findNamed(types, [KIND.STRUCT], n)), ...ENUM_ROOTS.map((n) => findNamed(types, [KIND.ENUM, KIND.ENUM64], n))] };
}

module.exports = { collect, layoutOf, STRUCT_ROOTS, ENUM_ROOTS, ANONYMOUS_COMMANDS };
