// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { join } from 'node:path';
import { packageRoot } from './package-root';

/**
 * Path of the TCP congestion controller shipped with the package (`demo_cc.bpf.o`, built
 * from `demo_cc.bpf.c` beside it): one `.struct_ops.link` map `so_demo` registering the
 * algorithm "so_demo", with per-callback counters in `.bss` and a ring buffer map
 * `cwnd_ring` of time-stamped cwnd samples (`struct cwnd_sample`). Ready to
 * load, for trying the library out before writing one's own. Also reachable as
 * `require.resolve('struct-ops/demo_cc.bpf.o')`.
 * @example
 * const obj = await openObject(demoObjectPath());
 */
export function demoObjectPath(): string {
  return join(packageRoot(), 'lib', 'demo', 'demo_cc.bpf.o');
}
