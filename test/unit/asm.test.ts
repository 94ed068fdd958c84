/** The asm room's instruction size is the UAPI's `struct bpf_insn`, as generated from kernel BTF. */
import { INSN_SIZE } from '../../lib/asm';
import { BPF_INSN } from '../../lib/sys/abi.generated';

test('INSN_SIZE is sizeof(struct bpf_insn) from the generated ABI tables', () => {
  expect(INSN_SIZE).toBe(BPF_INSN.size);
  expect(INSN_SIZE).toBe(8);
});
