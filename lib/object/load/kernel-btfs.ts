import { Btf, listKernelBtfModules, loadKernelBtf, loadModuleBtf } from '../../btf';
import type { KernelBtfSource } from '../../struct-ops/kernel-type';
import { Fd, btfGetFdById, btfGetInfo, btfGetNextId } from '../../sys';

/**
 * The running kernel's BTF as the loader sees it: vmlinux first, then each module's split
 * BTF, parsed lazily and cached process-wide by lib/btf. Module BTF fds (needed for
 * value_type_btf_obj_fd, attach_btf_obj_fd and kfunc fd_array) are opened on demand and
 * owned by this object.
 */
export class KernelBtfs {
  readonly vmlinux: Btf;
  #moduleFds = new Map<string, Fd>();

  constructor(vmlinux: Btf = loadKernelBtf()) {
    this.vmlinux = vmlinux;
  }

  /** vmlinux, then every module BTF (parsed only when iteration reaches it). */
  *sources(): Generator<KernelBtfSource> {
    yield { btf: this.vmlinux };
    for (const module of listKernelBtfModules()) yield { btf: loadModuleBtf(module), module };
  }

  /** An fd for a module's BTF object, found by name through BTF_GET_NEXT_ID. */
  moduleFd(module: string): Fd {
    const have = this.#moduleFds.get(module);
    if (have) return have;
    for (let id = btfGetNextId(0); id !== null; id = btfGetNextId(id)) {
      let fd: Fd;
      try {
        fd = btfGetFdById(id);
      } catch {
        continue; // the object went away between the two calls
      }
      const info = btfGetInfo(fd);
      if (info.kernelBtf && info.name === module) {
        this.#moduleFds.set(module, fd);
        return fd;
      }
      fd.close();
    }
    throw new Error(`kernel BTF object for module ${module} not found`);
  }

  close(): void {
    for (const fd of this.#moduleFds.values()) fd.close();
    this.#moduleFds.clear();
  }
}
