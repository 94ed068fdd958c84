/**
 * Which thread issues each load syscall, as the kernel sees it (strace -f): reno's object
 * BTF and its three small forward-only programs are loaded by the calling thread, while
 * cubic's cu_cong_avoid (240 instructions with subprogram calls) goes to a libuv pool
 * thread, as lib/object/load's quickToVerify and quickBtf decide. The objects are opened,
 * loaded and closed: nothing is attached.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel } from '../helpers/kernel';
import { assertDistBuilt, DIST } from '../helpers/child';
import { fixture } from '../helpers/fixtures';
import { testWithLinks } from '../helpers/features';

interface LoadCall {
  onMainThread: boolean;
  command: string;
  prog?: string;
}

/** The BTF_LOAD and PROG_LOAD calls of one `node` process that loads `object`, by thread. */
function loadCalls(object: string): LoadCall[] {
  assertDistBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'so-threads-'));
  try {
    const log = join(dir, 'strace.log');
    const script = `require(${JSON.stringify(DIST)}).openObject(process.argv[1])
      .then(async (o) => { await o.load(); o.close(); })
      .catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(3); });`;
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=bpf', process.execPath, '-e', script, object], { encoding: 'utf8' });
    // strace is part of the test environment (.ci/run installs it).
    if (r.error) throw new Error(`strace could not run: ${r.error.message}`);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => /bpf\(BPF_(BTF|PROG)_LOAD/.test(l));
    const pid = Number(/^(\d+) /.exec(readFileSync(log, 'utf8'))?.[1]);
    return lines.map((l) => {
      const [, tid, command] = /^(\d+) +bpf\(BPF_(\w+)/.exec(l)!;
      const prog = /prog_name="([^"]*)"/.exec(l)?.[1];
      return { onMainThread: Number(tid) === pid, command, ...(prog !== undefined ? { prog } : {}) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeKernel('load syscalls: on the calling thread or the libuv pool', () => {
  test("reno: the object BTF and all three programs on the calling thread", () => {
    const calls = loadCalls(fixture('reno'));
    // The object BTF is the last BTF_LOAD (the BTF feature probes come first, on this thread too).
    const btf = calls.filter((c) => c.command === 'BTF_LOAD');
    expect(btf.length).toBeGreaterThan(0);
    expect(btf.every((c) => c.onMainThread)).toBe(true);
    expect(calls.filter((c) => c.command === 'PROG_LOAD').sort((a, b) => a.prog!.localeCompare(b.prog!))).toEqual([
      { onMainThread: true, command: 'PROG_LOAD', prog: 'reno_cong_avoid' },
      { onMainThread: true, command: 'PROG_LOAD', prog: 'reno_ssthresh' },
      { onMainThread: true, command: 'PROG_LOAD', prog: 'reno_undo_cwnd' },
    ]);
  });

  // cubic has a .struct_ops.link map: before Linux 6.4 testWithLinks asserts its refusal instead.
  testWithLinks('cubic: the program with subprogram calls on a pool thread, the small ones on the calling thread', () => {
    const progs = loadCalls(fixture('cubic')).filter((c) => c.command === 'PROG_LOAD');
    expect(progs.filter((c) => !c.onMainThread).map((c) => c.prog)).toEqual(['cu_cong_avoid']);
    expect(progs.filter((c) => c.onMainThread).map((c) => c.prog).sort())
      .toEqual(['cu_cwnd_event', 'cu_init', 'cu_pkts_acked', 'cu_set_state', 'cu_ssthresh', 'cu_undo_cwnd']);
  });
});
