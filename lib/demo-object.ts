import { join } from 'node:path';

/**
 * Path of the TCP congestion controller shipped with the package (`demo_cc.bpf.o`, built
 * from `demo_cc.bpf.c` beside it): one `.struct_ops.link` map `so_demo` registering the
 * algorithm "so_demo", with per-callback counters and a cwnd ring in `.bss`. Ready to
 * load, for trying the library out before writing one's own. Also reachable as
 * `require.resolve('struct-ops/demo_cc.bpf.o')`.
 * @example
 * const obj = await openObject(demoObjectPath());
 */
export function demoObjectPath(): string {
  // This file is lib/demo-object.ts or dist/demo-object.js: one level below the package root.
  return join(__dirname, '..', 'lib', 'cli', 'demo', 'demo_cc.bpf.o');
}
