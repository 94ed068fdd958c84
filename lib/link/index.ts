// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * BPF links: the fd that keeps an attachment (a program's, or a struct_ops map's
 * registration) alive; update (swap), detach, pin, and reopening links pinned or created
 * elsewhere. A legacy struct_ops registration is handed out as a BpfLink too.
 */
export { BpfLink } from './link';
export type { AttachOptions, UpdateOptions } from './link';
export { openPinnedLink, openLinkById } from './pinned';
