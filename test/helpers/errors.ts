import { BpfError } from '../../lib/errors';

/** Runs `fn`, asserts it throws a BpfError, and returns that error for further checks. */
export function catchBpf(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    return e as BpfError;
  }
  throw new Error('expected a BpfError');
}
