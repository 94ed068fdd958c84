/**
 * Second processes for lifecycle tests: a `node -e` child that runs a script against the
 * BUILT library (dist/, `npx tsc -p tsconfig.build.json`) with `so` = require('dist') and
 * `send(tag, data)` printing one `tag JSON` line the parent can wait for.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertDistFresh } from './dist-fresh';

export const DIST = join(__dirname, '..', '..', 'dist');

/** Throws unless dist/ holds a build with the lifecycle API (children and CLI tests run it). */
export function assertDistBuilt(): void {
  const bundles = [join(DIST, 'bundle', 'index.js'), join(DIST, 'cli', 'main.js'), join(DIST, 'cli', 'command-register.js')];
  if (!existsSync(join(DIST, 'link', 'pinned.js')) || !bundles.every((b) => existsSync(b))) {
    throw new Error('dist/ is missing: run `npm run build:ts` (tsc + scripts/build-bundles.js) before these tests');
  }
  assertDistFresh();
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child script. */
export interface Child {
  proc: ChildProcess;
  /** Resolves with the data of the first `tag ...` line (rejects on exit or timeout). */
  waitFor<T = unknown>(tag: string, timeoutMs?: number): Promise<T>;
  /** Resolves when the child has exited. */
  exited: Promise<ChildExit>;
  stderr(): string;
}

const PRELUDE = `const so = require(${JSON.stringify(DIST)});
const send = (tag, data) => process.stdout.write(tag + ' ' + JSON.stringify(data === undefined ? null : data) + '\\n');
const fail = (e) => { process.stderr.write(String(e && e.stack || e) + (e && e.hint ? '\\nhint: ' + e.hint : '') + '\\n'); process.exit(3); };
`;

/**
 * Starts `node -e PRELUDE+script` with `args` in process.argv.slice(1). Wrap async work
 * in `(async () => { ... })().catch(fail)`.
 */
export function startChild(script: string, args: string[] = []): Child {
  assertDistBuilt();
  const proc = spawn(process.execPath, ['-e', PRELUDE + script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { tag: string; resolve: (v: unknown) => void }[] = [];
  const seen: string[] = [];
  const deliver = (line: string): void => {
    seen.push(line);
    for (const w of [...waiters]) {
      if (line.startsWith(`${w.tag} `)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(JSON.parse(line.slice(w.tag.length + 1)));
      }
    }
  };
  proc.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      deliver(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<ChildExit>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    exited,
    stderr: () => err,
    waitFor<T>(tag: string, timeoutMs = 30000): Promise<T> {
      const already = seen.find((l) => l.startsWith(`${tag} `));
      if (already !== undefined) return Promise.resolve(JSON.parse(already.slice(tag.length + 1)) as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child sent no "${tag}" within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        void exited.then((e) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${e.code ?? e.signal}) before sending "${tag}"; stderr: ${err}`));
        });
        waiters.push({ tag, resolve: (v) => { clearTimeout(timer); resolve(v as T); } });
      });
    },
  };
}

/** Runs a child script to completion; rejects when it exits non-zero. */
export async function runChild(script: string, args: string[] = []): Promise<Child> {
  const child = startChild(script, args);
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`child failed (${code ?? signal}): ${child.stderr()}`);
  return child;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
