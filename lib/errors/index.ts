// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
export { BpfError, isBpfError, malformed } from './bpf-error';
export type { BpfErrorContext } from './bpf-error';
export { errnoName, errnoValue } from './errno';
