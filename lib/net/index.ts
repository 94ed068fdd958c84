// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * Sockets and the TCP congestion controls registered with struct_ops: select one for a
 * connected socket, read which one it uses. This file is the folder's only entry point.
 */
export { setCongestionControl, getCongestionControl } from './congestion';
