// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Turns the plain errors the addon throws (Node system-error shape: errno, code,
 * syscall, command) into BpfError with the command's UAPI name and a hint.
 */
import { BpfError } from '../errors';
import { BpfCmd, bpfCmdName } from './constants';

const PRIVILEGE_HINT =
  'needs root or CAP_BPF (plus CAP_NET_ADMIN for TCP congestion control, CAP_PERFMON for some helpers)';

const PREFLIGHT_HINT =
  'the addon refused the call before the kernel saw it: a Buffer is shorter than the attr says, ' +
  'a pointer field was set from JS, or the command/field is not supported';

/** Shape of an error thrown by struct_ops.node. */
interface NativeError {
  errno: number;
  code: string;
  message: string;
  /** Refused by the addon's checks before the syscall. */
  preflight?: boolean;
  /** Why it was refused. */
  detail?: string;
}

// Duck-typed on purpose: the addon creates errors in the main realm, so `instanceof Error`
// is false inside other realms (Jest runs tests in a vm context).
function isNativeError(e: unknown): e is NativeError {
  if (typeof e !== 'object' || e === null) return false;
  const n = e as Partial<NativeError>;
  return typeof n.errno === 'number' && typeof n.code === 'string' && typeof n.message === 'string';
}

/** One-line hint for a failed command, or undefined when no common cause is known. */
export function hintFor(command: number, code: string, hasLog = false): string | undefined {
  switch (code) {
    case 'EPERM':
      return PRIVILEGE_HINT;
    case 'EACCES':
      // For loads, EACCES is how the verifier says "unsafe program", not a privilege issue.
      if (hasLog) return 'the verifier rejected the program; the end of verifierLog says why';
      return command === BpfCmd.MAP_CREATE
        ? `${PRIVILEGE_HINT}; struct_ops maps also need an object BTF fd, not kernel BTF`
        : PRIVILEGE_HINT;
    case 'ENOMEM':
      return 'out of kernel memory, or RLIMIT_MEMLOCK too low on kernels before 5.11 (try ulimit -l unlimited)';
    case 'ENOSPC':
      return command === BpfCmd.MAP_UPDATE_ELEM ? 'the map is full (max_entries reached)' : undefined;
    case 'E2BIG':
      return command === BpfCmd.MAP_UPDATE_ELEM || command === BpfCmd.MAP_LOOKUP_ELEM
        ? 'key out of range (struct_ops maps take only key 0)'
        : 'attr or value too big for this kernel, or too many instructions';
    case 'EBADF':
      return 'a file descriptor argument is closed or not the kind of BPF object this command needs';
    case 'EEXIST':
      return command === BpfCmd.OBJ_PIN
        ? 'the pin path already exists; unlink it first'
        : 'already exists (for TCP congestion control: a controller with that name is registered)';
    case 'EBUSY':
      return 'the struct_ops map is already registered (a second update returns EBUSY)';
    case 'ENOENT':
      if (command === BpfCmd.OBJ_GET || command === BpfCmd.OBJ_PIN) return 'no such path (is bpffs mounted at /sys/fs/bpf?)';
      return undefined;
    case 'ENOTSUPP':
    case 'EOPNOTSUPP':
      return 'not supported for this map/program type (e.g. MAP_FREEZE on a struct_ops map, DELETE on a link map)';
    case 'ENOSYS':
      return 'the kernel was built without CONFIG_BPF_SYSCALL';
    case 'EINVAL':
      return hasLog ? 'the kernel rejected the input; the end of verifierLog says why' : undefined;
    default:
      return undefined;
  }
}

/** Extra context for {@link toBpfError}. */
export interface ErrorContext {
  verifierLog?: string;
  /** Appended to the message (e.g. the last verifier log lines). */
  suffix?: string;
}

/**
 * Wraps anything the addon threw for `command` into a BpfError (code, errno, command,
 * hint, cause). A BpfError passes through unchanged.
 */
export function toBpfError(e: unknown, command: number, ctx: ErrorContext = {}): BpfError {
  if (e instanceof BpfError) return e;
  const name = bpfCmdName(command);
  if (!isNativeError(e)) {
    const text = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    return new BpfError(`${name}: ${text}`, { code: 'EINVAL', command: name, cause: e });
  }
  const hasLog = ctx.verifierLog !== undefined && ctx.verifierLog.length > 0;
  const what = e.preflight === true
    ? `refused before the syscall: ${e.detail ?? e.message}`
    : e.message.replace(/^bpf\(\d+\): /, '');
  const message = `${name}: ${what} (${e.code})${ctx.suffix ?? ''}`;
  return new BpfError(message, {
    code: e.code,
    errno: e.errno,
    command: name,
    hint: e.preflight === true ? PREFLIGHT_HINT : hintFor(command, e.code, hasLog),
    verifierLog: ctx.verifierLog,
    cause: e,
  });
}
