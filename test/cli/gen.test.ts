import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BpfError, openObject } from '../../lib';
import { generateTypes } from '../../lib/cli/gen/types';
import { runCli } from '../../lib/cli/run';
import { fixture } from '../helpers/fixtures';
import type { CubicObject } from '../fixtures/gen/cubic';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const GOLDEN = join(ROOT, 'test', 'fixtures', 'gen', 'cubic.d.ts');

/** Runs the CLI in-process, collecting what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Type-checks `files` (name -> source) next to a generated cubic.d.ts with the project's
 * TypeScript, strict, `struct-ops` resolving to this repository's sources. Declaration
 * files are checked too (no skipLibCheck), so a generated type that does not fit the
 * library's classes fails here.
 */
async function typecheck(dir: string, files: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const config = {
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node',
      lib: ['ES2022', 'ESNext.Disposable'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      baseUrl: '.', paths: { 'struct-ops': [join(ROOT, 'lib', 'index.ts')] },
    },
    files: Object.keys(files),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  try {
    const { stdout } = await run(TSC, ['-p', join(dir, 'tsconfig.json'), '--strict', '--noEmit', '--pretty', 'true'], { cwd: dir });
    return { ok: true, output: stdout };
  } catch (e) {
    // --pretty shows the offending source line; strip its colours for matching.
    return { ok: false, output: String((e as { stdout?: string }).stdout ?? e).replace(/\x1b\[[0-9;]*m/g, '') };
  }
}

const program = (body: string): string => `import { openObject, BpfObject, BpfProgram, StructOpsMap } from 'struct-ops';
import type { CubicObject } from './cubic';

export async function main(): Promise<void> {
  const obj = (await openObject('cubic.bpf.o')) as CubicObject;
  const legacy = obj.structOps.get('cubic_legacy');
${body}
}
`;

describe('struct-ops gen types', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'struct-ops-gen-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes declarations that type-check real usage, and reject typos and wrong types', async () => {
    const r = await cli('gen', 'types', fixture('cubic'), '-o', join(dir, 'cubic.d.ts'));
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toContain('wrote');
    const text = readFileSync(join(dir, 'cubic.d.ts'), 'utf8');
    expect(text).toContain('export interface CubicObject extends BpfObject');
    expect(text).toContain('flags: number;');

    const good = await typecheck(dir, {
      'good.ts': program(`
  legacy.value.flags = 1;
  legacy.value.name = 'so_cubic2';
  legacy.value.undo_cwnd = obj.programs.get('cu_ssthresh');
  legacy.value.set_state = null;
  const key: number = legacy.value.key;
  const owner: Buffer = legacy.value.owner;
  const fn: BpfProgram | null = obj.structOps.get('cubic_link').value.init;
  const calls: bigint = obj.readGlobals('.bss').init_calls;
  const samples: number[] = obj.readGlobals('.bss').cwnd_samples;
  const fast: boolean = obj.readGlobals('.rodata').fast_convergence;
  const size: number = obj.maps.get('cu_events').valueSize;
  const sameMap: StructOpsMap = obj.maps.get('cubic_link');
  const plain: BpfObject = obj;
  console.log(key, owner, fn, calls, samples, fast, size, sameMap, plain);`),
    });
    expect(good.output).toBe('');
    expect(good.ok).toBe(true);

    const bad = await typecheck(dir, {
      'bad-member.ts': program('  legacy.value.flgs = 1;'),
      'bad-type.ts': program("  legacy.value.flags = 'one';"),
    });
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/bad-member\.ts:\d+:\d+ - error TS2551: Property 'flgs' does not exist on type 'CubicLegacyValue'. Did you mean 'flags'\?/);
    expect(bad.output).toMatch(/bad-type\.ts:\d+:\d+ - error TS2322: Type 'string' is not assignable to type 'number'/);
    expect(bad.output).toContain("legacy.value.flags = 'one';");
    expect(bad.output).toMatch(/Found 2 errors in 2 files/);
  }, 180000);

  test('rejects other misuse at compile time: map and program typos, read-only members, foreign programs', async () => {
    await cli('gen', 'types', fixture('cubic'), '-o', join(dir, 'cubic.d.ts'));
    const lines = {
      map: "  obj.structOps.get('cubic_legcy');",
      program: "  legacy.value.init = obj.programs.get('cu_inti');",
      readonly: '  legacy.value.owner = Buffer.alloc(8);',
      foreign: "  legacy.value.init = {} as BpfProgram & { readonly name: 'elsewhere' };",
      section: "  obj.readGlobals('.text');",
    };
    const bad = await typecheck(dir, Object.fromEntries(Object.entries(lines).map(([k, body]) => [`${k}.ts`, program(body)])));
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/map\.ts.*'"cubic_legcy"' is not assignable to parameter of type '"cubic_legacy" \| "cubic_link"'/);
    expect(bad.output).toMatch(/program\.ts.*'"cu_inti"' is not assignable/);
    expect(bad.output).toMatch(/readonly\.ts.*Cannot assign to 'owner' because it is a read-only property/);
    expect(bad.output).toMatch(/foreign\.ts[^\n]*CubicStructOpsProgram \| null'[\s\S]*?Type '"elsewhere"' is not assignable to type '"cu_init" \|/);
    expect(bad.output).toMatch(/section\.ts.*'"\.text"' is not assignable/);
    expect(bad.output).toMatch(/Found 5 errors in 5 files/);
  }, 120000);

  test('the committed example matches the generator (regenerate on purpose when it changes)', async () => {
    const obj = await openObject(fixture('cubic'));
    const text = generateTypes(obj, { importFrom: '../../../lib', source: 'test/fixtures/bpf/cubic.bpf.o' });
    // To regenerate: node dist/cli/main.js gen types test/fixtures/bpf/cubic.bpf.o --import ../../../lib -o test/fixtures/gen/cubic.d.ts
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  test('the generated types describe the runtime objects', async () => {
    const obj = (await openObject(fixture('cubic'))) as CubicObject;
    const legacy = obj.structOps.get('cubic_legacy');
    legacy.value.flags = 1;
    legacy.value.undo_cwnd = obj.programs.get('cu_ssthresh');
    expect(legacy.programs.get('undo_cwnd')).toBe(obj.programs.get('cu_ssthresh'));
    const key: number = legacy.value.key;
    expect(key).toBe(0);
    // @ts-expect-error a misspelt member does not compile, and throws at run time
    expect(() => legacy.value.flgs).toThrow(BpfError);
    // @ts-expect-error a string for a number member does not compile, and throws at run time
    expect(() => { legacy.value.flags = 'one'; }).toThrow(/member flags \(u32\) takes an integer/);

    // Each member's declared TS type is the runtime type (every kind in the shadow fixture).
    const shadow = await openObject(fixture('shadow'));
    const declared = generateTypes(shadow).split('export type ShadowKindsValue = {')[1].split('\n};')[0];
    const types = new Map([...declared.matchAll(/^ {2}(?:readonly )?(\w+): (.+);$/gm)].map((m) => [m[1], m[2]]));
    const value = shadow.structOps.get('shadow_kinds')!.value;
    expect([...types.keys()]).toEqual(Object.keys(value));
    for (const [member, type] of types) {
      const v = value[member];
      const runtime = Buffer.isBuffer(v) ? 'Buffer' : v === null ? 'null' : typeof v === 'object' ? 'program' : typeof v;
      const allowed = type.split(' | ').map((t) => (t.endsWith('StructOpsProgram') ? 'program' : t));
      expect({ member, runtime, allowed: allowed.includes(runtime) }).toEqual({ member, runtime, allowed: true });
    }
  });

  test('prints to stdout without -o, and reports usage and open errors', async () => {
    const r = await cli('gen', 'types', fixture('reno'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('export type RenoValue = {');
    expect(r.out).toContain("import type { BpfMap, BpfObject, BpfProgram, StructOpsMap, TypedMap } from 'struct-ops';");
    expect(r.out).toContain('ssthresh: RenoStructOpsProgram | null;');
    expect((await cli('gen', 'types', fixture('reno'), '--import', './lib')).out).toContain("from './lib';");
    expect(await cli('gen')).toMatchObject({ code: 2, err: expect.stringContaining('expected `gen types FILE.o`') });
    expect(await cli('gen', 'skeleton', 'x.o')).toMatchObject({ code: 2 });
    const missing = await cli('gen', 'types', join(dir, 'missing.bpf.o'));
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/struct-ops gen: .*missing\.bpf\.o: cannot read object file/) });
    const unwritable = await cli('gen', 'types', fixture('reno'), '-o', join(dir, 'no', 'such', 'dir.d.ts'));
    expect(unwritable).toMatchObject({ code: 1, err: expect.stringMatching(/cannot write .*dir\.d\.ts/) });
  });
});
