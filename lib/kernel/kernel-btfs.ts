// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { Btf, listKernelBtfModules, loadKernelBtf, loadModuleBtf } from '../btf';
import { BpfError } from '../errors';
import type { KernelBtfSource } from '../struct-ops';
import { Fd, btfGetFdById, btfGetInfo, btfGetNextId, type FdLike } from '../sys';

/** A kernel module's BTF given to {@link KernelBtfs} instead of the one in /sys/kernel/btf. */
export interface ModuleBtfSource {
  /** Module name, as /sys/kernel/btf and BPF_OBJ_GET_INFO_BY_FD name it. */
  name: string;
  /** The module's split BTF over the vmlinux BTF of the same KernelBtfs, or a function that parses it on first use. */
  btf: Btf | (() => Btf);
  /**
   * The fd of the module's BTF object in the kernel (sent as value_type_btf_obj_fd,
   * attach_btf_obj_fd and in fd_array). Called at most once; KernelBtfs does not close
   * what it returns. Default: found by name through BPF_BTF_GET_NEXT_ID.
   */
  fd?: () => FdLike;
}

/** Where a {@link KernelBtfs} takes its BTF from. */
export interface KernelBtfsOptions {
  /** vmlinux BTF. @defaultValue loadKernelBtf() (/sys/kernel/btf/vmlinux, parsed once per process) */
  vmlinux?: Btf;
  /**
   * Module BTFs, searched in this order after vmlinux. @defaultValue every module in
   * /sys/kernel/btf, sorted, each parsed as split BTF over vmlinux once per process
   */
  modules?: readonly ModuleBtfSource[];
}

function rawOf(fd: FdLike): number {
  return fd instanceof Fd ? fd.raw : fd;
}

/**
 * The kernel's BTF as the loader sees it: vmlinux first, then each module's split BTF.
 * By default read from /sys/kernel/btf (parsed lazily and cached process-wide by lib/btf);
 * tests and load plans can give their own vmlinux and modules instead. Module BTF fds are
 * opened on demand; those this object opened itself are closed by {@link close}.
 *
 * @example
 * const kernel = new KernelBtfs({
 *   vmlinux: base,
 *   modules: [{ name: 'so_mod', btf: Btf.parse(modBlob, { base, name: 'so_mod' }), fd: () => 42 }],
 * });
 */
export class KernelBtfs {
  readonly vmlinux: Btf;
  readonly #modules: readonly ModuleBtfSource[] | undefined;
  readonly #parsed = new Map<string, Btf>();
  /** Raw fd numbers by module; the Fds among them are owned. */
  readonly #moduleFds = new Map<string, { raw: number; owned?: Fd }>();

  constructor(options: KernelBtfsOptions | Btf = {}) {
    const opts = options instanceof Btf ? { vmlinux: options } : options;
    this.vmlinux = opts.vmlinux ?? loadKernelBtf();
    this.#modules = opts.modules;
  }

  /** vmlinux, then every module BTF (parsed only when iteration reaches it). */
  *sources(): Generator<KernelBtfSource> {
    yield { btf: this.vmlinux };
    if (this.#modules === undefined) {
      for (const module of listKernelBtfModules()) yield { btf: loadModuleBtf(module), module };
      return;
    }
    for (const m of this.#modules) yield { btf: this.#moduleBtf(m), module: m.name };
  }

  /** Names of the modules searched after vmlinux, in search order. */
  moduleNames(): string[] {
    return this.#modules === undefined ? listKernelBtfModules() : this.#modules.map((m) => m.name);
  }

  /**
   * The fd of a module's BTF object: from its {@link ModuleBtfSource.fd}, or found by name
   * through BPF_BTF_GET_NEXT_ID (then owned by this object). The same number on every call.
   *
   * @throws {BpfError} ENOENT when the kernel has no BTF object for the module
   */
  moduleFd(module: string): number {
    const have = this.#moduleFds.get(module);
    if (have) return have.raw;
    const given = this.#modules?.find((m) => m.name === module)?.fd;
    if (given) {
      const raw = rawOf(given());
      this.#moduleFds.set(module, { raw });
      return raw;
    }
    const fd = findModuleBtfFd(module);
    this.#moduleFds.set(module, { raw: fd.raw, owned: fd });
    return fd.raw;
  }

  /** Closes the module BTF fds this object opened (not those a ModuleBtfSource gave). */
  close(): void {
    for (const { owned } of this.#moduleFds.values()) owned?.close();
    this.#moduleFds.clear();
  }

  #moduleBtf(m: ModuleBtfSource): Btf {
    if (m.btf instanceof Btf) return m.btf;
    let btf = this.#parsed.get(m.name);
    if (!btf) {
      btf = m.btf();
      this.#parsed.set(m.name, btf);
    }
    return btf;
  }
}

/** Walks the kernel's BTF objects for the one a module registered. */
function findModuleBtfFd(module: string): Fd {
  for (let id = btfGetNextId(0); id !== null; id = btfGetNextId(id)) {
    let fd: Fd;
    try {
      fd = btfGetFdById(id);
    } catch {
      continue; // the object went away between the two calls
    }
    let found = false;
    try {
      const info = btfGetInfo(fd);
      found = info.kernelBtf && info.name === module;
    } finally {
      if (!found) fd.close();
    }
    if (found) return fd;
  }
  throw new BpfError(`kernel BTF object for module ${module} not found`, {
    code: 'ENOENT', hint: `is module ${module} still loaded? (/sys/kernel/btf/${module})`,
  });
}
