export { BpfError, isBpfError, malformed } from './bpf-error';
export type { BpfErrorContext } from './bpf-error';
export { errnoName, errnoValue } from './errno';
