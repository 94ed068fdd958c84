// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { BpfError } from '../errors';
import { BpfProgType, Fd, ProgInfo, linkCreate, progAssocStructOps, progGetInfo, rawTracepointOpen } from '../sys';
import { BpfLink } from '../link';
import { attachTracepoint } from './tracepoint';
import { probeAssocStructOps } from '../kernel';
import type { BpfMap } from './map';
import type { ProgramSpec } from './spec';
import { testRunProgram, type TestRunOptions, type TestRunResult } from './test-run';

/**
 * A program of an object. Before load it is a blueprint whose `autoload` may be changed;
 * after load it owns the kernel program fd (closed with the object).
 */
export class BpfProgram {
  readonly spec: ProgramSpec;
  #autoload: boolean | undefined;
  #fd: Fd | undefined;
  #locked = false;
  #links: BpfLink[] = [];
  #attachBtfId = 0;
  #expectedAttachType = 0;

  /** @internal */
  constructor(spec: ProgramSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  /** ELF section the program comes from, e.g. `struct_ops/cubic_init`. */
  get section(): string {
    return this.spec.section;
  }

  /** BPF_PROG_TYPE_* value. */
  get type(): number {
    return this.spec.progType;
  }

  /** UAPI name of the program type, e.g. `STRUCT_OPS`. */
  get typeName(): string {
    return BpfProgType[this.spec.progType] ?? String(this.spec.progType);
  }

  /**
   * Whether load() loads this program. Unset, it follows the loader's rule: struct_ops
   * programs load when a struct_ops map uses them; other programs always load.
   */
  get autoload(): boolean | undefined {
    return this.#autoload;
  }

  set autoload(value: boolean | undefined) {
    if (this.#locked) throw new BpfError(`program ${this.name}: autoload cannot change after load()`, { code: 'EBUSY', program: this.name });
    this.#autoload = value;
  }

  /** True once the kernel holds this program. */
  get loaded(): boolean {
    return this.#fd !== undefined && !this.#fd.closed;
  }

  /** The program fd. @throws {BpfError} EBADF when the program is not loaded. */
  get fd(): Fd {
    if (!this.#fd || this.#fd.closed) {
      throw new BpfError(`program ${this.name} is not loaded`, { code: 'EBADF', program: this.name });
    }
    return this.#fd;
  }

  /** Kernel program id. */
  get id(): number {
    return this.info().id;
  }

  /** Kernel view of the program (BPF_OBJ_GET_INFO_BY_FD). */
  info(): ProgInfo {
    return progGetInfo(this.fd);
  }

  /**
   * Runs the loaded program in the kernel with BPF_PROG_TEST_RUN, synchronously: its
   * arguments or context in, its return value (and output context/data) out. struct_ops
   * programs can be run this way for `bpf_dummy_ops` (the kernel's test family); `syscall`
   * programs run like this to initialise state from user space.
   *
   * @throws {BpfError} EBADF when not loaded; EINVAL for bad options; the kernel's errno
   *   (EOPNOTSUPP when it cannot test-run this program) with command BPF_PROG_TEST_RUN.
   * @example
   * const state = Buffer.alloc(4);           // struct bpf_dummy_ops_state { int val; }
   * state.writeInt32LE(7);
   * const { retval } = obj.programs.get('test_1')!.testRun({ ctxIn: [state] });
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    return testRunProgram(this.fd, this.spec.progType, this.name, options);
  }

  /**
   * Associates this loaded program (not a struct_ops program itself) with a struct_ops map
   * of the object (BPF_PROG_ASSOC_STRUCT_OPS, Linux 6.19+). load() does this by itself when
   * the object has exactly one struct_ops map and the kernel has the command.
   *
   * @throws {BpfError} command BPF_PROG_ASSOC_STRUCT_OPS: EINVAL (with a hint when the
   *   kernel lacks the command), EBUSY when already associated with another map.
   */
  associateStructOps(map: BpfMap): void {
    try {
      progAssocStructOps(this.fd, map.fd);
    } catch (err) {
      if (err instanceof BpfError) {
        const e = err as { program?: string; map?: string; hint?: string; message: string };
        e.program = this.name;
        e.map = map.name;
        e.message = `program ${this.name}: associate with struct_ops ${map.name}: ${err.message}`;
        let has = true;
        try { has = probeAssocStructOps(); } catch { /* keep the kernel's answer */ }
        if (err.code === 'EINVAL') {
          e.hint = has
            ? 'the kernel associates only non-struct_ops programs with a struct_ops map'
            : 'this kernel has no BPF_PROG_ASSOC_STRUCT_OPS (Linux 6.19+); the program works unassociated';
        }
      }
      throw err;
    }
  }

  /**
   * Attaches the loaded program where its section says, through a BPF link: fentry/fexit/
   * fmod_ret/tp_btf programs with BPF_LINK_CREATE (the kernel function or tracepoint was
   * resolved at load), raw_tp/raw_tracepoint programs with BPF_RAW_TRACEPOINT_OPEN,
   * tracepoint/CATEGORY/NAME programs to a perf event of the tracefs tracepoint
   * (perf_event_open, then BPF_LINK_CREATE with BPF_PERF_EVENT, Linux 5.15+). The link is
   * owned by the object too: object.close() detaches it, `link.close()` sooner.
   *
   * @throws {BpfError} EOPNOTSUPP for a program type this loader cannot attach (struct_ops
   *   programs attach with their map); ENOENT for a tracepoint the kernel lacks or when
   *   tracefs is not mounted (the hint says how to mount it); the errno of perf_event_open,
   *   or the kernel's errno with command BPF_LINK_CREATE / BPF_RAW_TRACEPOINT_OPEN otherwise.
   * @example
   * const link = obj.programs.get('count_calls')!.attach(); // SEC("fentry/tcp_sendmsg")
   */
  attach(): BpfLink {
    const fd = this.fd;
    let linkFd: Fd;
    try {
      if (this.spec.progType === BpfProgType.TRACING) {
        linkFd = linkCreate({ progFd: fd, attachType: this.spec.expectedAttachType });
      } else if (this.spec.progType === BpfProgType.RAW_TRACEPOINT && this.spec.attachTarget) {
        linkFd = rawTracepointOpen(this.spec.attachTarget, fd);
      } else if (this.spec.progType === BpfProgType.TRACEPOINT) {
        linkFd = attachTracepoint(fd, this.spec.attachTarget ?? '', this.name);
      } else {
        throw new BpfError(`program ${this.name} (${this.typeName}, section ${this.section}) cannot be attached by this loader`, {
          code: 'EOPNOTSUPP', program: this.name,
          hint: this.spec.progType === BpfProgType.STRUCT_OPS
            ? 'struct_ops programs run once their map is registered: obj.structOps.get(name).attach()'
            : 'attach() supports fentry/fexit/fmod_ret/tp_btf, raw_tp and tracepoint programs; syscall programs run with testRun()',
        });
      }
    } catch (err) {
      if (err instanceof BpfError && err.program === undefined) {
        const e = err as { program?: string; message: string };
        e.program = this.name;
        e.message = `program ${this.name}: attach: ${err.message}`;
      }
      throw err;
    }
    const link = BpfLink.ofProgram(linkFd);
    this.#links.push(link);
    return link;
  }

  /**
   * Kernel BTF id the program attaches to, decided at load (struct_ops: the kernel
   * `struct T`; tracing: the function or tracepoint); 0 before load and for other programs.
   */
  get attachBtfId(): number {
    return this.#attachBtfId;
  }

  /** Expected attach type decided at load (struct_ops: the kernel member index); 0 before load. */
  get expectedAttachType(): number {
    return this.#expectedAttachType;
  }

  /** @internal Called by load(): where this object's program attaches (the spec says nothing of it). */
  setAttach(attachBtfId: number, expectedAttachType: number): void {
    this.#attachBtfId = attachBtfId;
    this.#expectedAttachType = expectedAttachType;
  }

  /** @internal */
  setLoaded(fd: Fd): void {
    this.#fd = fd;
  }

  /** @internal */
  lock(): void {
    this.#locked = true;
  }

  /** @internal Releases the program fd (the kernel frees it once nothing else holds it). */
  close(): void {
    for (const link of this.#links.splice(0)) link.close();
    this.#fd?.close();
  }
}
