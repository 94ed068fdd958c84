import { essentialName } from '../../../lib/core';

describe('essentialName', () => {
  it.each([
    ['tcp_sock___x', 'tcp_sock'],
    ['tcp_sock', 'tcp_sock'],
    ['nf_conn___init', 'nf_conn'],
    ['a___b___c', 'a___b'],
    ['____fput', '____fput'], // no X before the separator
    ['___d_drop', '___d_drop'],
    ['x____y', 'x____y'], // four underscores: Y would start with '_'
    ['x___', 'x___'], // nothing after the separator
    ['s___1', 's'],
    ['', ''],
  ])('%s -> %s', (name, essential) => {
    expect(essentialName(name)).toBe(essential);
  });
});
