// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Context a BpfError can carry: which kernel command, object, program, map, member,
 * ELF section or BTF type it concerns. Every field is optional; set what is known.
 */
export interface BpfErrorContext {
  /** errno name like Node's system errors (`'EPERM'`, `'EINVAL'`, `'ENOTSUPP'`). */
  code?: string;
  /** Positive errno value, when the error came from the kernel. */
  errno?: number;
  /** bpf() command name, e.g. `'BPF_PROG_LOAD'`. */
  command?: string;
  /** Object file name or path. */
  object?: string;
  program?: string;
  map?: string;
  /** struct_ops member name. */
  member?: string;
  /** ELF section name. */
  section?: string;
  /** Byte offset in the file or section that is bad. */
  offset?: number;
  /** BTF type id. */
  typeId?: number;
  /** One-line hint at a common cause and fix. */
  hint?: string;
  /** Full verifier (or BTF) log for load failures. */
  verifierLog?: string;
  cause?: unknown;
}

/**
 * The one error class of struct-ops. Every failure the library reports is a BpfError
 * (or a subclass): kernel errors carry `errno`/`code`/`command`, input errors carry the
 * section/offset/type id that is bad, and `hint` says what usually fixes it.
 */
export class BpfError extends Error {
  override name = 'BpfError';
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly command?: string;
  readonly object?: string;
  readonly program?: string;
  readonly map?: string;
  readonly member?: string;
  readonly section?: string;
  readonly offset?: number;
  readonly typeId?: number;
  readonly hint?: string;
  readonly verifierLog?: string;

  constructor(message: string, context: BpfErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = context.code ?? 'EINVAL';
    if (context.errno !== undefined) {
      this.errno = context.errno;
      this.syscall = 'bpf';
    }
    this.command = context.command;
    this.object = context.object;
    this.program = context.program;
    this.map = context.map;
    this.member = context.member;
    this.section = context.section;
    this.offset = context.offset;
    this.typeId = context.typeId;
    this.hint = context.hint;
    this.verifierLog = context.verifierLog;
    // Drop undefined fields so util.inspect and JSON output stay readable.
    for (const key of Object.keys(this) as (keyof this)[]) {
      if (this[key] === undefined) delete this[key];
    }
  }
}

/** True for any BpfError, also across realms (matches by name). */
export function isBpfError(value: unknown): value is BpfError {
  return value instanceof BpfError || (value instanceof Error && value.name === 'BpfError');
}

/** Shorthand for malformed input: code EINVAL, with the section/offset that is bad. */
export function malformed(message: string, context: Omit<BpfErrorContext, 'code'> = {}): BpfError {
  return new BpfError(message, { ...context, code: 'EINVAL' });
}
