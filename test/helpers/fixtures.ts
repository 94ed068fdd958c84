import { join } from 'node:path';

/** Absolute path of a committed BPF fixture object (test/fixtures/bpf/NAME.bpf.o). */
export function fixture(name: string): string {
  return join(__dirname, '..', 'fixtures', 'bpf', `${name}.bpf.o`);
}

/** The congestion controller bundled with the package for `struct-ops demo`. */
export const DEMO_OBJECT = join(__dirname, '..', '..', 'lib', 'demo', 'demo_cc.bpf.o');
