// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * The command table: what `struct-ops --help` lists and how each command is found. It is
 * declarative on purpose: a command's module (and everything it imports: the loader, BTF,
 * the native addon) is loaded only when that command runs, so `--help`, `--version` and a
 * mistyped command cost Node's start-up and this file. In the published build each
 * command is its own bundle (dist/cli/command-NAME.js, see scripts/build-bundles.js).
 *
 * A new command is a file in this directory exporting a {@link Command} and a row here
 * with the same name and summary (test/unit/cli/command-table.test.ts checks both).
 */
import type { Command } from '../command';

/** One row: the name and summary for the command list, and the loader of the command. */
export interface CommandEntry {
  name: string;
  /** One line for the command list; the same as the command's own `summary`. */
  summary: string;
  /**
   * Loads the command's module. A plain require (a `typeof import` for the types): in a
   * CommonJS bundle, import() would start Node's ESM loader, which costs more than the module.
   */
  load(): Command;
}

/** Every subcommand, in the order `struct-ops --help` lists them. */
export const COMMAND_TABLE: readonly CommandEntry[] = [
  {
    name: 'register',
    summary: 'load an object and register its struct_ops maps with the kernel (root)',
    load: () => (require('./register') as typeof import('./register')).registerCommand,
  },
  {
    name: 'unregister',
    summary: 'end a registration: a struct_ops map by name or id, or a pinned link (root)',
    load: () => (require('./unregister') as typeof import('./unregister')).unregisterCommand,
  },
  {
    name: 'update',
    summary: 'live-swap a pinned struct_ops link to a map of another object (root)',
    load: () => (require('./update') as typeof import('./update')).updateCommand,
  },
  {
    name: 'run',
    summary: 'register an object\'s struct_ops and hold them in the foreground with a live view (root)',
    load: () => (require('./run') as typeof import('./run')).runCommand,
  },
  {
    name: 'show',
    summary: 'list registered struct_ops maps with state, refcnt and links (root)',
    load: () => (require('./show') as typeof import('./show')).showCommand,
  },
  {
    name: 'dump',
    summary: "show a struct_ops map's kernel value: members, programs and ids (root)",
    load: () => (require('./dump') as typeof import('./dump')).dumpCommand,
  },
  {
    name: 'types',
    summary: 'list the struct_ops types this kernel supports, or one type with C signatures',
    load: () => (require('./types') as typeof import('./types')).typesCommand,
  },
  {
    name: 'inspect',
    summary: 'check an object file against the running kernel without loading it (no root)',
    load: () => (require('./inspect') as typeof import('./inspect')).inspectCommand,
  },
  {
    name: 'demo',
    summary: 'load the bundled congestion controller, move loopback traffic with it, show what it did (root)',
    load: () => (require('./demo') as typeof import('./demo')).demoCommand,
  },
  {
    name: 'gen',
    summary: 'generate code for an object file: `gen types FILE.o` writes TypeScript declarations',
    load: () => (require('./gen') as typeof import('./gen')).genCommand,
  },
];
