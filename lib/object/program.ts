import { BpfError } from '../errors';
import { BpfProgType, Fd, ProgInfo, progGetInfo } from '../sys';
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
  /** Set at load for struct_ops programs: kernel `struct T` id and member index. */
  attachBtfId = 0;
  expectedAttachType = 0;

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
    this.#fd?.close();
  }
}
