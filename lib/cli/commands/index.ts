import type { Command } from '../command';
import { demoCommand } from './demo';
import { dumpCommand } from './dump';
import { inspectCommand } from './inspect';
import { genCommand } from './gen';
import { registerCommand } from './register';
import { runCommand } from './run';
import { showCommand } from './show';
import { typesCommand } from './types';
import { unregisterCommand } from './unregister';
import { updateCommand } from './update';

/** Every subcommand, in the order `struct-ops --help` lists them. */
export const COMMANDS: Command[] = [
  registerCommand,
  runCommand,
  unregisterCommand,
  updateCommand,
  showCommand,
  dumpCommand,
  typesCommand,
  inspectCommand,
  demoCommand,
  genCommand,
];
