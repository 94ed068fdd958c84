// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
import { openObject } from '../../index';
import { flag, UsageError } from '../args';
import { Command, EXIT_OK } from '../command';
import { generateTypes } from '../gen/types';
import { writeFileReplacing } from '../write-file';

export const genCommand: Command = {
  name: 'gen',
  summary: 'generate code for an object file: `gen types FILE.o` writes TypeScript declarations',
  usage: `Usage: struct-ops gen types FILE.o [-o OUT.d.ts] [--import MODULE] [-j | -p]

Writes TypeScript declarations for the object file (without loading it): <Name>Object, a
BpfObject whose structOps/programs/maps Maps have a typed get() and whose readGlobals()
knows each data section, and for every struct_ops map a typed shadow value (member names
and types from the object's BTF; function pointers take the object's struct_ops programs).
Cast the opened object to it:

  import type { CubicObject } from './cubic';
  const obj = (await openObject('cubic.bpf.o')) as CubicObject;
  obj.structOps.get('cubic_legacy').value.flags = 1;

Options:
  -o, --output FILE   write to FILE instead of stdout (a new file renamed over FILE: a
                      symlink there is replaced, never followed)
  --import MODULE     module to import the library's types from (default: struct-ops)
  -j, --json          {object, output, declarations} (declarations: the text, when no -o)`,
  flags: [{ name: 'output', value: true, short: 'o' }, { name: 'import', value: true }],
  async run(args, io) {
    const [what, file, ...extra] = args.positionals;
    if (what !== 'types' || file === undefined || extra.length > 0) throw new UsageError('expected `gen types FILE.o`');
    const output = flag(args, 'output');
    const obj = await openObject(file);
    let text: string;
    try {
      text = generateTypes(obj, { importFrom: flag(args, 'import'), source: file });
    } finally {
      obj.close();
    }
    if (output === undefined) {
      io.emit({ object: file, output: null, declarations: text });
      if (!io.json) io.out(text.replace(/\n$/, ''));
      return EXIT_OK;
    }
    writeFileReplacing(output, text);
    io.emit({ object: file, output });
    if (!io.json) io.err(`wrote ${output}`);
    return EXIT_OK;
  },
};
