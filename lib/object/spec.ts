// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Open-phase blueprints: what an object file contains, decided from its bytes alone
 * (no kernel access), so the same file yields the same spec on every machine.
 */
import type { Btf, BtfExt } from '../btf';
// Map blueprints live with the maps they create (lib/maps, below this room); an ObjectSpec holds them.
import type { ArenaGlobalsSpec, MapKind, MapSpec } from '../maps';

export type { ArenaGlobalsSpec, MapKind, MapSpec };

/** A reference from one instruction to something resolved at load time. */
export type InsnRelocation =
  /** bpf-to-bpf call: target function starts at targetInsn of section targetSection. */
  | { kind: 'call'; insn: number; targetSection: number; targetInsn: number }
  /** ld_imm64 of a callback address (BPF_PSEUDO_FUNC). */
  | { kind: 'func_addr'; insn: number; targetSection: number; targetInsn: number }
  /** ld_imm64 of a BTF-defined map (BPF_PSEUDO_MAP_FD). */
  | { kind: 'map'; insn: number; map: string }
  /** ld_imm64 of an address inside a global-data map (BPF_PSEUDO_MAP_VALUE); offset is added to imm. */
  | { kind: 'data'; insn: number; map: string; offset: number }
  /**
   * ld_imm64 of an `__arena` global (BPF_PSEUDO_MAP_VALUE into the ARENA map); offset is the
   * globals' offset in the arena plus the variable's offset in `.addr_space.1`.
   */
  | { kind: 'arena'; insn: number; map: string; offset: number }
  /** ld_imm64 of a `.kconfig` extern (BPF_PSEUDO_MAP_VALUE into the kconfig map). */
  | { kind: 'kconfig'; insn: number; extern: string }
  /** call of a `__ksym` kernel function (BPF_PSEUDO_KFUNC_CALL). */
  | { kind: 'kfunc'; insn: number; extern: string }
  /** ld_imm64 of a typed `__ksym` variable (BPF_PSEUDO_BTF_ID). */
  | { kind: 'ksym_var'; insn: number; extern: string };

/** A function in an executable section: a program entry point or a `.text` subprogram. */
export interface FunctionSpec {
  name: string;
  section: string;
  sectionIndex: number;
  /** First instruction's index within its section. */
  insnOffset: number;
  insnCount: number;
  /** Entry point (a program) rather than a subprogram. */
  isProgram: boolean;
  /** STB_GLOBAL and not hidden: the kernel verifies it separately as a global function. */
  isGlobal: boolean;
  /** STV_HIDDEN or STV_INTERNAL: a global in BTF that the kernel must see as static. */
  hidden: boolean;
  /** The instructions as the file has them (a view of the section's bytes; load copies them). */
  insns: Buffer;
  /** Relocations with `insn` relative to this function's first instruction. */
  relocations: InsnRelocation[];
}

/** A program entry point and how the kernel should load it. */
export interface ProgramSpec extends FunctionSpec {
  progType: number;
  /** BPF_F_SLEEPABLE etc. */
  progFlags: number;
  expectedAttachType: number;
  /** `struct_ops` section programs are bound to a kernel member at load time. */
  structOps: boolean;
  /** Section name after '/': the kernel function, tracepoint or raw tracepoint it attaches to ('' for none). */
  attachTarget?: string;
  /** How attachTarget is found in kernel BTF at load: a FUNC (fentry/fexit), a btf_trace_ typedef (tp_btf). */
  btfTarget?: 'func' | 'trace';
}

/** A `SEC(".struct_ops")` / `SEC(".struct_ops.link")` variable. */
export interface StructOpsSpec {
  /** Variable name; also the map name. */
  name: string;
  section: string;
  /** Registered through BPF_LINK_CREATE (`.struct_ops.link`). */
  link: boolean;
  /** False for `?.struct_ops*` sections: the default of the object's `StructOpsMap.autocreate`. */
  readonly autocreate: boolean;
  /** Local struct type id in the object's BTF. */
  typeId: number;
  /** Kernel struct name it implements (local name with any `___flavor` suffix stripped). */
  kernelTypeName: string;
  /** Offset of the variable in its section. */
  sectionOffset: number;
  /** Copy of the variable's bytes from the ELF (function-pointer slots are zero). */
  data: Buffer;
  /** Member name -> program name, from the section's relocations. */
  programs: Map<string, string>;
}

/** An extern the loader must resolve against the running kernel. */
export interface ExternSpec {
  name: string;
  kind: 'kconfig' | 'kfunc' | 'ksym';
  weak: boolean;
  /** Local BTF id of the VAR (kconfig/ksym) or FUNC (kfunc). */
  btfId: number;
  /** Offset within the `.kconfig` map value (kconfig only). */
  offset: number;
  /** Size in bytes of the value (kconfig only). */
  size: number;
}

/**
 * Everything `openObject` learns from the file. Frozen when open returns (records, arrays
 * and Maps refuse changes; Buffers are never written): a blueprint that any number of
 * objects can be opened from (`openObject(spec)`), each keeping its edits to itself.
 * Its Buffers (instructions, initial data, BTF) are views into the spec's own copy of the
 * file, never the caller's. JavaScript cannot freeze a Buffer, so they are read-only by
 * contract: writing into one would change every object opened from the spec, and the spec
 * `openObject` reuses for the same bytes. Edit through the object (`setGlobals`, shadow values).
 */
export interface ObjectSpec {
  /** Object name (file base name up to the first '.'), used for data map names. */
  readonly name: string;
  readonly path?: string;
  /**
   * The object's BTF with the open phase's fix-ups (DATASEC sizes, VAR offsets) in its bytes.
   * The types it hands out are frozen (every object of the spec shares them).
   */
  readonly btf: Btf;
  readonly btfExt?: BtfExt;
  readonly license: string;
  readonly kernVersion: number;
  readonly functions: readonly FunctionSpec[];
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  readonly structOps: readonly StructOpsSpec[];
  readonly externs: readonly ExternSpec[];
  /** Non-fatal findings (unsupported sections skipped, ...). */
  readonly warnings: readonly string[];
}
