/**
 * The published types (dist/*.d.ts) as a user's TypeScript sees them: a small consumer is
 * compiled against dist/index.d.ts. It pins what the import-cycle fix of lib/maps and
 * lib/object (resources and links typed through ResourceMap / RegistrableMap) must keep:
 * `reader.map` of a reader from `map.ringBuffer()` is that BpfMap, `link.map` of a link
 * from `attach()` is that StructOpsMap (shadow value and all), and annotated handles still
 * offer the members users reach for (`fd`, `name`, ...).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { assertDistFresh } from '../helpers/dist-fresh';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

const ASSERTIONS = `
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | void {}
`;

/** The last consumer's program: the next one reuses its parsed dist/ and lib files. */
let previous: ts.Program | undefined;

/** Type errors of `source` compiled strictly as a consumer of dist/ (file:line: message). */
function typeErrors(source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'struct-ops-types-'));
  try {
    const file = join(dir, 'consumer.ts');
    writeFileSync(file, `import * as so from ${JSON.stringify(DIST)};\n${ASSERTIONS}\n${source}\n`);
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10, lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], skipLibCheck: false,
    }, undefined, previous);
    previous = program;
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(dir, '').replace(ROOT, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(() => assertDistFresh());

describe('public types of map resources and links (dist/*.d.ts)', () => {
  test('a consumer using reader.map, link.map and friends compiles without errors', () => {
    const errors = typeErrors(`
export async function use(map: so.BpfMap, sm: so.StructOpsMap, other: so.StructOpsMap, annotatedReader: so.RingBufferReader, annotatedLink: so.BpfLink): Promise<void> {
  // Resources from a map's factories point back at that BpfMap.
  const reader = map.ringBuffer<{ pid: number }>();
  expectType<Equal<typeof reader.map, so.BpfMap>>();
  const fd: typeof map.fd = reader.map.fd;
  const raw: number = reader.map.fd.raw;
  const value: Buffer | undefined = reader.map.lookup(0);
  const writer = map.userRingBuffer();
  expectType<Equal<typeof writer.map, so.BpfMap>>();
  writer.map.update(0, Buffer.alloc(4));
  const memory = map.mmap();
  expectType<Equal<typeof memory.map, so.BpfMap>>();
  const kernelName: string = memory.map.kernelName;
  // Annotated without the map type: what a resource's map offers.
  const annotatedName: string = annotatedReader.map.name;
  const annotatedFd: typeof map.fd = annotatedReader.map.fd;
  const btf: so.Btf | undefined = annotatedReader.map.btf;
  const kept: so.RingBufferReader<{ pid: number }> = reader;

  // A link from attach() holds that StructOpsMap.
  const link = await sm.attach();
  expectType<Equal<typeof link.map, so.StructOpsMap | undefined>>();
  const mapName: string | undefined = link.map?.name;
  const shadow: so.StructOpsValue<so.BpfProgram> | undefined = link.map?.value;
  const programs: ReadonlyMap<string, so.BpfProgram> | undefined = link.map?.programs;
  link.update(other, { expected: sm });
  link.update(other, { expected: sm.fd });
  link.update(other, { expected: 7 });
  const links: so.BpfLink[] = [link, annotatedLink, so.openPinnedLink('/sys/fs/bpf/x')];
  // Annotated or opened from a pin: what a registration's map offers.
  const linkMapName: string | undefined = annotatedLink.map?.name;
  const linkMapFd: typeof map.fd | undefined = annotatedLink.map?.fd;
  const kernelType: string | undefined = links[2].map?.kernelTypeName;
  const algorithm: string | undefined = so.structOpsName(sm);
  void [fd, raw, value, kernelName, annotatedName, annotatedFd, btf, kept, mapName, shadow, programs, linkMapName, linkMapFd, kernelType, algorithm];
}
`);
    expect(errors).toEqual([]);
  });

  test('the check has teeth: a wrong expectation or a member no map has is a type error', () => {
    const errors = typeErrors(`
export function use(map: so.BpfMap, link: so.BpfLink<so.StructOpsMap>, annotatedReader: so.RingBufferReader): void {
  expectType<Equal<typeof link.map, so.BpfMap | undefined>>();
  annotatedReader.map.noSuchMember;
  void map;
}
`);
    expect(errors).toEqual([
      expect.stringMatching(/consumer\.ts:\d+: Type 'false' does not satisfy the constraint 'true'/),
      expect.stringMatching(/consumer\.ts:\d+: Property 'noSuchMember' does not exist on type 'ResourceMap'/),
    ]);
  });
});
