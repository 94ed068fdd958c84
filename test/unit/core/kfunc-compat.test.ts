/**
 * funcProtosCompatible: local `__ksym` declarations (core_kfunc.bpf.o) against kernel-like
 * prototypes (core_target.o) and, when available, the running kernel's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Btf } from '../../../lib/btf';
import { funcProtosCompatible } from '../../../lib/core';
import { loadFixture } from './fixture';

const local = loadFixture('core_kfunc.bpf.o');
const target = loadFixture('core_target.o');

const fn = (btf: Btf, name: string) => {
  const t = btf.findByName(name, 'func');
  if (!t) throw new Error(`no func ${name}`);
  return t.id;
};

const cases: [string, string, boolean][] = [
  ['tcp_slow_start', 'tcp_slow_start', true],
  ['tcp_cong_avoid_ai', 'tcp_cong_avoid_ai', true], // struct tcp_sock___x * ~ struct tcp_sock *
  ['tcp_reno_undo_cwnd', 'tcp_reno_undo_cwnd', true],
  ['bad_count', 'tcp_reno_undo_cwnd', false], // 2 params vs 1
  ['bad_int_size', 'tcp_slow_start', false], // __u64 vs __u32
  ['bad_pointee', 'tcp_slow_start', false], // struct sock * vs struct tcp_sock *
  ['bad_return', 'tcp_reno_undo_cwnd', false], // void * vs __u32
  ['tcp_slow_start', 'tcp_cong_avoid_ai', false], // param count and return type
];

describe('funcProtosCompatible against kernel-like prototypes', () => {
  it.each(cases)('%s ~ %s: %s', (localName, targetName, ok) => {
    expect(funcProtosCompatible(local.btf, fn(local.btf, localName), target.btf, fn(target.btf, targetName))).toBe(ok);
  });

  it('accepts FUNC_PROTO ids as well as FUNC ids', () => {
    const l = local.btf.typeById(fn(local.btf, 'tcp_slow_start'));
    const t = target.btf.typeById(fn(target.btf, 'tcp_slow_start'));
    expect('type' in l && 'type' in t).toBe(true);
    if ('type' in l && 'type' in t) expect(funcProtosCompatible(local.btf, l.type, target.btf, t.type)).toBe(true);
  });

  it('is false for ids that are not functions', () => {
    const sk = target.btf.findByName('sock', 'struct')!.id;
    expect(funcProtosCompatible(local.btf, fn(local.btf, 'tcp_slow_start'), target.btf, sk)).toBe(false);
  });
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
(existsSync(VMLINUX) ? describe : describe.skip)('funcProtosCompatible against the running kernel', () => {
  const vmlinux = existsSync(VMLINUX) ? Btf.parse(readFileSync(VMLINUX), { name: 'vmlinux', lazy: true }) : undefined;
  it.each(cases)('%s ~ kernel %s: %s', (localName, targetName, ok) => {
    expect(funcProtosCompatible(local.btf, fn(local.btf, localName), vmlinux!, fn(vmlinux!, targetName))).toBe(ok);
  });
});
