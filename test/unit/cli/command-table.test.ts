import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE } from '../../../lib/cli/commands/table';

describe('the CLI command table', () => {
  const files = readdirSync(join(__dirname, '..', '..', '..', 'lib', 'cli', 'commands'))
    .filter((f) => f.endsWith('.ts') && f !== 'table.ts')
    .map((f) => f.slice(0, -3))
    .sort();

  it('has one row per command file, so no command is left out of the lazily loaded table', () => {
    expect(COMMAND_TABLE.map((c) => c.name).sort()).toEqual(files);
  });

  it.each(COMMAND_TABLE.map((c) => [c.name, c] as const))('%s: the row loads the command with its name and summary', (_name, entry) => {
    const command = entry.load();
    expect(command.name).toBe(entry.name);
    expect(command.summary).toBe(entry.summary);
    expect(typeof command.run).toBe('function');
  });
});
