/**
 * A CLI process that keeps running (`struct-ops run`): spawned from dist/, stdout split into
 * lines the test can wait for, signals sent to it, its exit awaited.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { assertDistBuilt } from './child';
import { CLI } from './child-cli';

export interface LongCli {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines(): string[];
  /** Resolves with the first line (already seen or to come) that matches. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Processes started and not yet exited: {@link killStarted} ends them after a failed test. */
const running = new Set<ChildProcess>();

/** SIGKILLs every CLI still running (afterEach): a failed test must not leave one holding the kernel. */
export async function killStarted(): Promise<void> {
  const left = [...running];
  for (const p of left) p.kill('SIGKILL');
  await Promise.all(left.map((p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('close', r)))));
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): LongCli {
  assertDistBuilt();
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(proc);
  proc.on('close', () => running.delete(proc));
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines: () => [...lines],
    exited,
    stderr: () => err,
    waitForLine(match, what, timeoutMs = 30000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; stdout: ${lines.join('\n')}; stderr: ${err}`)), timeoutMs);
        void exited.then((e) => {
          clearTimeout(timer);
          reject(new Error(`exited (${e.code ?? e.signal}) before ${what}; stdout: ${lines.join('\n')}; stderr: ${err}`));
        });
        waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
  };
}
