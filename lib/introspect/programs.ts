// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Program ids from struct_ops function-pointer slots, turned into names. */
import { Btf, BtfKind } from '../btf';
import { isBpfError } from '../errors';
import { btfGetFdById, btfGetInfo, progGetFdById, progGetInfo } from '../sys';
import { withFdById } from './objects';

/** The program behind a function-pointer slot. */
export interface ProgramRef {
  progId: number;
  /**
   * The program's function name from its BTF (not cut to 15 characters), else the kernel's
   * program name; null when the program no longer exists.
   */
  progName: string | null;
}

// BPF_OBJ_NAME_LEN is 16 with the NUL: longer names come back cut to 15 characters.
const KERNEL_NAME_MAX = 15;

/**
 * Resolves program ids to names, caching programs and program BTFs for one dump.
 * bpftool reads the name from the program's first func_info record; the addon does not
 * expose func_info arrays, so a cut name is completed from the program's BTF instead: the
 * one FUNC whose name starts with it (left cut when several do).
 */
export class ProgramResolver {
  readonly #programs = new Map<number, ProgramRef>();
  readonly #btfs = new Map<number, Btf | undefined>();

  resolve(progId: number): ProgramRef {
    let ref = this.#programs.get(progId);
    if (!ref) {
      const info = withFdById(progGetFdById, progId, (fd) => progGetInfo(fd));
      const progName = info === undefined ? null : this.#fullName(info.name, info.btfId);
      ref = { progId, progName };
      this.#programs.set(progId, ref);
    }
    return ref;
  }

  #fullName(name: string, btfId: number): string {
    if (name.length < KERNEL_NAME_MAX || btfId === 0) return name;
    const btf = this.#btf(btfId);
    if (!btf) return name;
    try {
      const candidates = [...btf.types()].filter((t) => t.kind === BtfKind.FUNC && t.name.startsWith(name));
      return candidates.length === 1 ? candidates[0].name : name;
    } catch (err) {
      if (isBpfError(err)) return name; // a malformed record: keep the kernel's name
      throw err;
    }
  }

  #btf(btfId: number): Btf | undefined {
    if (!this.#btfs.has(btfId)) {
      let btf: Btf | undefined;
      try {
        const info = withFdById(btfGetFdById, btfId, (fd) => btfGetInfo(fd, { withData: true }));
        btf = info?.data ? Btf.parse(info.data, { name: `btf id ${btfId}`, lazy: true }) : undefined;
      } catch (err) {
        // A name is cosmetic: an unreadable program BTF leaves the kernel's name.
        if (!isBpfError(err)) throw err;
      }
      this.#btfs.set(btfId, btf);
    }
    return this.#btfs.get(btfId);
  }
}
