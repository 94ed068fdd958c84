// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Feature probe: can the running kernel register a struct_ops map through a BPF link
 * (`SEC(".struct_ops.link")`)? Linux 6.4 ("bpf: Create links for BPF struct_ops maps")
 * added the BPF_F_LINK map flag for BPF_MAP_TYPE_STRUCT_OPS, BPF_LINK_TYPE_STRUCT_OPS and
 * the BPF_STRUCT_OPS attach type. Older kernels refuse any struct_ops map flag with EINVAL.
 */
import { Btf, BtfKind, loadKernelBtf } from '../btf';
import { BpfError, isBpfError } from '../errors';
import { BPF_F_LINK, BpfMapType, btfLoad, kernelRelease, mapCreate } from '../sys';
import { cachedProbe, type FeatureProbe } from './probe';

/** First kernel release with struct_ops links. */
export const STRUCT_OPS_LINK_MIN_KERNEL = '6.4';

/** The hint every "no struct_ops links" error carries. */
export const STRUCT_OPS_LINK_HINT =
  'struct_ops links need Linux 6.4 or newer; put the variable in SEC(".struct_ops") instead';

/**
 * struct_ops types the probe may create a map of, most common first: every kernel with
 * CONFIG_INET has tcp_congestion_ops; bpf_dummy_ops exists for BPF selftests.
 */
const PROBE_TYPES = ['tcp_congestion_ops', 'bpf_dummy_ops'];

/** What one probe map creation did. */
export type MapCreateOutcome = 'created' | 'EINVAL' | BpfError;

/** The steps of the probe, separated so that unit tests can drive the decision. */
export interface StructOpsLinkProbeSteps {
  /** Creates (and closes) a struct_ops map with the given flags; undefined: no struct_ops type to try. */
  createMap(flags: number): MapCreateOutcome | undefined;
  /** Does kernel BTF list BPF_STRUCT_OPS in enum bpf_attach_type? undefined: cannot tell. */
  btfSaysSupported(): boolean | undefined;
}

/**
 * Decides support from the probe steps. A struct_ops map with BPF_F_LINK is created: success
 * means supported. EINVAL means unsupported only if the same map without the flag can be
 * created (so a broken probe cannot pass for an old kernel). Anything else (EPERM when
 * unprivileged, no struct_ops type) falls back to kernel BTF.
 *
 * @throws {BpfError} when neither the kernel nor its BTF can tell (code of the failed call)
 */
export function decideStructOpsLink(steps: StructOpsLinkProbeSteps): boolean {
  const withLink = steps.createMap(BPF_F_LINK);
  if (withLink === 'created') return true;
  if (withLink === 'EINVAL' && steps.createMap(0) === 'created') return false;
  const byBtf = steps.btfSaysSupported();
  if (byBtf !== undefined) return byBtf;
  const cause = withLink instanceof BpfError ? withLink : undefined;
  throw new BpfError(`cannot probe struct_ops link support: ${cause?.message ?? 'no struct_ops type in kernel BTF'}`, {
    code: cause?.code ?? 'ENOENT', cause,
    hint: cause?.hint ?? 'the kernel exposes no BTF (/sys/kernel/btf/vmlinux); struct_ops needs CONFIG_DEBUG_INFO_BTF',
  });
}

/**
 * True when `enum bpf_attach_type` in `btf` has BPF_STRUCT_OPS (added with struct_ops
 * links in 6.4); undefined when the enum is missing.
 */
export function btfHasStructOpsAttachType(btf: Btf): boolean | undefined {
  const e = btf.findByName('bpf_attach_type', 'enum') ?? btf.findByName('bpf_attach_type', 'enum64');
  if (e?.kind !== BtfKind.ENUM && e?.kind !== BtfKind.ENUM64) return undefined;
  return e.values.some((v) => v.name === 'BPF_STRUCT_OPS');
}

// A minimal object BTF (one `int`): struct_ops maps need an object BTF fd, never kernel BTF.
/** @internal Exported for tests. */
export const PROBE_BTF = Buffer.from(
  '9feb0100' + '18000000' + '00000000' + '10000000' + '10000000' + '05000000' + // header
  '01000000' + '00000001' + '04000000' + '20000000' + // [1] INT 'int' size 4, 32 bits
  '00696e7400', // strings: "", "int"
  'hex',
);

function kernelSteps(): StructOpsLinkProbeSteps {
  let btf: Btf | undefined;
  const vmlinux = (): Btf | undefined => {
    try {
      btf ??= loadKernelBtf();
    } catch {
      // No kernel BTF: no struct_ops at all; decideStructOpsLink reports it.
    }
    return btf;
  };
  return {
    createMap(flags) {
      const kernel = vmlinux();
      const value = kernel && PROBE_TYPES
        .map((name) => kernel.findByName(`bpf_struct_ops_${name}`, BtfKind.STRUCT))
        .find((t) => t?.kind === BtfKind.STRUCT);
      if (value?.kind !== BtfKind.STRUCT) return undefined;
      try {
        const objectBtf = btfLoad(PROBE_BTF);
        try {
          mapCreate({
            mapType: BpfMapType.STRUCT_OPS, keySize: 4, valueSize: value.size, maxEntries: 1, mapFlags: flags,
            mapName: 'probe_link', btfFd: objectBtf, btfVmlinuxValueTypeId: value.id,
          }).close();
        } finally {
          objectBtf.close();
        }
        return 'created';
      } catch (err) {
        if (!isBpfError(err)) throw err;
        return err.code === 'EINVAL' && err.command === 'BPF_MAP_CREATE' ? 'EINVAL' : err;
      }
    },
    btfSaysSupported() {
      const kernel = vmlinux();
      return kernel && btfHasStructOpsAttachType(kernel);
    },
  };
}

const probe: FeatureProbe = cachedProbe(() => decideStructOpsLink(kernelSteps()));

/**
 * Reports whether the running kernel supports struct_ops links (Linux 6.4+). Probed once per
 * process, by creating a tiny struct_ops map with BPF_F_LINK; when that is not possible
 * (no CAP_BPF) it reads kernel BTF instead.
 *
 * @throws {BpfError} when it cannot tell (no kernel BTF and no privilege); rethrown on every call
 * @example
 * if (!probeStructOpsLink()) console.log('use SEC(".struct_ops") on this kernel');
 */
export function probeStructOpsLink(): boolean {
  return probe();
}

/**
 * The error for a `.struct_ops.link` map on a kernel without struct_ops links:
 * code EOPNOTSUPP and {@link STRUCT_OPS_LINK_HINT}.
 */
export function structOpsLinkUnsupported(map: string, object?: string): BpfError {
  return new BpfError(
    `struct_ops ${map}: struct_ops links need Linux ${STRUCT_OPS_LINK_MIN_KERNEL} or newer (running ${kernelRelease()})`,
    { code: 'EOPNOTSUPP', map, object, hint: STRUCT_OPS_LINK_HINT },
  );
}

/**
 * Load-time gate for a `.struct_ops.link` map: throws {@link structOpsLinkUnsupported} when
 * the probe says the kernel has no struct_ops links. When the probe cannot tell, it does
 * nothing, so the load goes on and reports the kernel's own error.
 *
 * @throws {BpfError} EOPNOTSUPP on kernels before 6.4
 */
export function requireStructOpsLink(map: string, object?: string): void {
  let supported: boolean;
  try {
    supported = probeStructOpsLink();
  } catch {
    return;
  }
  if (!supported) throw structOpsLinkUnsupported(map, object);
}
