import type { Command } from '../command';
import { demoCommand } from './demo';
import { registerCommand } from './register';
import { unregisterCommand } from './unregister';
import { updateCommand } from './update';

/** Every subcommand, in the order `struct-ops --help` lists them. */
export const COMMANDS: Command[] = [
  registerCommand,
  unregisterCommand,
  updateCommand,
  demoCommand,
];
