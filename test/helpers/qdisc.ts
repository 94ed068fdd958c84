/**
 * tc and TCP traffic in a throwaway network namespace, for the BPF qdisc tests. The VM's
 * busybox has a `tc` applet of its own; iproute2's tc is called by path.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** iproute2's tc: the VM copies it to /usr/local/bin; hosts have it in /usr/sbin. */
export function tcPath(): string {
  for (const p of ['/usr/local/bin/tc', '/usr/sbin/tc', '/sbin/tc']) {
    if (existsSync(p) && !lstatSync(p).isSymbolicLink()) return p;
  }
  return '/usr/sbin/tc';
}

/** Runs iproute2's tc in namespace `ns`; returns stdout. Throws with tc's stderr on failure. */
export function tcIn(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, tcPath(), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `Sent N bytes M pkt` of the root qdisc of `dev` in `ns` (tc -s qdisc show). */
export function qdiscCounters(ns: string, dev: string): { kind: string; bytes: number; packets: number; dropped: number } {
  const out = tcIn(ns, '-s', 'qdisc', 'show', 'dev', dev);
  const kind = /^qdisc (\S+)/m.exec(out)?.[1] ?? '';
  const sent = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/.exec(out);
  return { kind, bytes: Number(sent?.[1] ?? -1), packets: Number(sent?.[2] ?? -1), dropped: Number(sent?.[3] ?? -1) };
}

/** Creates namespace `ns` with `lo` up; returns a function that deletes it. */
export function makeNetns(ns: string): () => void {
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    execFileSync('ip', ['netns', 'del', ns]);
    throw err;
  }
  return () => execFileSync('ip', ['netns', 'del', ns]);
}

/**
 * Sends `bytes` over one TCP connection on 127.0.0.1 inside `ns` (server and client in a
 * child node process entered into the namespace); resolves with the bytes the server got.
 */
export async function tcpOverLoopback(ns: string, bytes: number): Promise<number> {
  const script = `
    const net = require('node:net');
    const total = Number(process.argv[1]);
    let got = 0;
    const server = net.createServer((s) => { s.on('data', (d) => { got += d.length; }); s.on('end', () => { console.log(got); server.close(); }); });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        const chunk = Buffer.alloc(65536, 0x5a);
        let left = total;
        const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!c.write(chunk.subarray(0, n))) { c.once('drain', pump); return; } } c.end(); };
        pump();
      });
    });`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script, String(bytes)], { timeout: 120000 });
  return Number(stdout.trim());
}
