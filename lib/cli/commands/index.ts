import type { Command } from '../command';
import { demoCommand } from './demo';

/** Every subcommand, in the order `struct-ops --help` lists them. */
export const COMMANDS: Command[] = [
  demoCommand,
];
