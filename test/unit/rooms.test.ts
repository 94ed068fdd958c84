/**
 * Room boundaries of lib/ (scripts/check-rooms.js): no import cycles, no imports of another
 * room's internals, the CLI on the public API only. Today's violations are an explicit
 * allow-list (rooms.allow.json) that may only shrink: a new violation fails, and so does a
 * fixed one still listed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rooms = require('../../scripts/check-rooms.js') as {
  importGraph(libDir?: string): Map<string, Set<string>>;
  violations(graph?: Map<string, Set<string>>): string[];
};

const allow = JSON.parse(readFileSync(join(__dirname, 'rooms.allow.json'), 'utf8')) as { violations: string[] };

describe('room boundaries of lib/', () => {
  test('the violations are exactly the allow-list (new ones fail; fixed ones must be removed)', () => {
    const now = rooms.violations();
    const added = now.filter((v) => !allow.violations.includes(v));
    const fixed = allow.violations.filter((v) => !now.includes(v));
    expect({ added, fixed }).toEqual({ added: [], fixed: [] });
  });

  test('the checker finds a cycle, a deep import and a CLI import outside the public API and the demo\'s entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'struct-ops-rooms-'));
    try {
      const files: Record<string, string> = {
        'lib/index.ts': "export * from './a';\n",
        'lib/a/index.ts': "export { x } from './x';\n",
        'lib/a/x.ts': "import { y } from './y';\nexport const x = y;\n",
        'lib/a/y.ts': "import type { x } from './x';\nexport const y = 1; export type X = typeof x;\n",
        'lib/b/index.ts': "import { x } from '../a/x';\nimport { x as ok } from '../a';\nexport const b = x + ok;\n",
        'lib/cli/main.ts': "import { b } from '../b';\nimport { x } from '..';\n// import { z } from '../a/y';\nexport const m = b + x;\n",
        'lib/demo/index.ts': "export { d } from './d';\n",
        'lib/demo/d.ts': "import { x } from '..';\nexport const d = x;\n",
        'lib/cli/demo.ts': "import { d } from '../demo';\nimport { d as deep } from '../demo/d';\nexport const c = d + deep;\n",
      };
      for (const [f, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), text);
      }
      const graph = rooms.importGraph(join(dir, 'lib'));
      // Paths are relative to the repository root; rebase them for the temp tree.
      const rel = new Map([...graph].map(([k, v]) => [k.replace(/^.*?lib\//, 'lib/'), new Set([...v].map((d) => d.replace(/^.*?lib\//, 'lib/')))]));
      expect(rooms.violations(rel)).toEqual([
        'cli: lib/cli/demo.ts -> lib/demo/d.ts',
        'cli: lib/cli/main.ts -> lib/b/index.ts',
        'cycle: lib/a/x.ts lib/a/y.ts',
        'deep: lib/b/index.ts -> lib/a/x.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
