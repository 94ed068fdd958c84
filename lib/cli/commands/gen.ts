import { writeFile } from 'node:fs/promises';
import { BpfError } from '../../errors';
import { openObject } from '../../object';
import { flag } from '../args';
import { Command, EXIT_OK, EXIT_USAGE } from '../command';
import { reportError } from '../errors';
import { generateTypes } from '../gen/types';

export const genCommand: Command = {
  name: 'gen',
  summary: 'generate code for an object file: `gen types FILE.o` writes TypeScript declarations',
  usage: `Usage: struct-ops gen types FILE.o [-o OUT.d.ts] [--import MODULE]

Writes TypeScript declarations for the object file (without loading it): <Name>Object, a
BpfObject whose structOps/programs/maps Maps have a typed get() and whose readGlobals()
knows each data section, and for every struct_ops map a typed shadow value (member names
and types from the object's BTF; function pointers take the object's struct_ops programs).
Cast the opened object to it:

  import type { CubicObject } from './cubic';
  const obj = (await openObject('cubic.bpf.o')) as CubicObject;
  obj.structOps.get('cubic_legacy').value.flags = 1;

Options:
  -o, --output FILE   write to FILE instead of stdout
  --import MODULE     module to import the library's types from (default: struct-ops)`,
  flags: [{ name: 'o', value: true }, { name: 'output', value: true }, { name: 'import', value: true }],
  async run(args, io) {
    const [what, file, ...extra] = args.positionals;
    if (what !== 'types' || file === undefined || extra.length > 0) {
      io.err(`struct-ops gen: expected \`gen types FILE.o\`\n\n${genCommand.usage}`);
      return EXIT_USAGE;
    }
    const output = flag(args, 'output') ?? flag(args, 'o');
    let text: string;
    try {
      const obj = await openObject(file);
      try {
        text = generateTypes(obj, { importFrom: flag(args, 'import'), source: file });
      } finally {
        obj.close();
      }
    } catch (err) {
      return reportError(io, 'gen', err);
    }
    if (output === undefined) {
      io.out(text.replace(/\n$/, ''));
      return EXIT_OK;
    }
    try {
      await writeFile(output, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      return reportError(io, 'gen', new BpfError(`cannot write ${output}: ${(err as Error).message}`, { code, cause: err }));
    }
    io.err(`wrote ${output}`);
    return EXIT_OK;
  },
};
