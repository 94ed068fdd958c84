/**
 * Child-process tests run dist/, not lib/: refuse a dist/ older than any lib/ source, so a
 * plain `npx jest` after an edit cannot test yesterday's build. (`npm test` builds first.)
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function newestSource(dir: string): { file: string; mtimeMs: number } {
  let best = { file: '', mtimeMs: 0 };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const cand = e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? { file: p, mtimeMs: statSync(p).mtimeMs } : best;
    if (cand.mtimeMs > best.mtimeMs) best = cand;
  }
  return best;
}

let checked: string | null | undefined;

/** Why dist/ cannot be trusted for `lib/`, or null when it is at least as new as every source. */
export function distStaleness(root = ROOT): string | null {
  const src = newestSource(join(root, 'lib'));
  let built: number;
  try {
    // build:ts deletes dist/ and writes every file, so index.js is as old as the build.
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  } catch {
    return 'dist/ is missing: run `npm run build:ts` before child-process tests';
  }
  if (src.mtimeMs > built) {
    return `dist/ is stale: ${src.file.slice(root.length + 1)} changed after the last build; run \`npm run build:ts\``;
  }
  return null;
}

/** Throws (once per process, the answer is cached) when dist/ is older than lib/. */
export function assertDistFresh(): void {
  if (checked === undefined) checked = distStaleness();
  if (checked !== null) throw new Error(checked);
}
