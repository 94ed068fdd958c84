'use strict';
// struct-ops side of scripts/bench.sh: one cold operation per process,
// printed as one JSON line, the same as libbpf-bench.c.
//
//   node scripts/bench/ours.js btf            {"mode":"btf","ms":...}
//   node scripts/bench/ours.js load FILE MAP  {"mode":"load","ms":...,"attach_ms":...,"close_ms":...}
//   node scripts/bench/ours.js require        {"mode":"require","ms":...,"modules":N}
//   node scripts/bench/ours.js warm FILE MAP N {"mode":"warm","ms":...}: N open+load+attach
//       (+ close) in one process; ms = the Nth open+load+attach. With BENCH_MARK=1 the Nth
//       one is framed by write(2) calls of "<bench-mark>" so `strace -T` can sum its bpf() time.
//
// load: attach_ms = openObject + load + attach(MAP); close_ms = link.close() +
// obj.close() (for a legacy map the unregister is BPF_MAP_DELETE_ELEM, which waits for
// an RCU grace period in the kernel); ms = both. Split at the same points as libbpf-bench.c.
//
// Only the work itself is timed (process.hrtime.bigint), not require().
// Needs the built library in dist/ (npm run build); BENCH_ROOT chooses another checkout.
const path = require('path');
const fs = require('fs');

const ROOT = process.env.BENCH_ROOT || path.join(__dirname, '..', '..');

// Accept sync or async results, whichever the library returns.
async function settle(v) {
  return v && typeof v.then === 'function' ? await v : v;
}

// BENCH_CPU_PROF=FILE: a CPU profile of exactly the timed open+load+attach (load mode), for
// finding where a cold load spends its time; the numbers printed are then not comparable.
async function startProfile() {
  const out = process.env.BENCH_CPU_PROF;
  if (!out) return { stop: async () => {} };
  const inspector = require('inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) =>
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(out, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function main() {
  const [mode, file, mapName, count] = process.argv.slice(2);
  const entry = path.join(ROOT, 'dist', 'index.js');
  if (mode === 'require') {
    const before = Object.keys(require.cache).length;
    const r0 = process.hrtime.bigint();
    require(entry);
    const r1 = process.hrtime.bigint();
    const modules = Object.keys(require.cache).length - before;
    process.stdout.write(JSON.stringify({ mode, ms: Number(r1 - r0) / 1e6, modules }) + '\n');
    return;
  }
  const lib = require(entry);
  if (mode === 'warm' && file && mapName && /^[1-9][0-9]*$/.test(count ?? '')) {
    const abs = path.resolve(file);
    const n = Number(count);
    let last = 0;
    for (let i = 1; i <= n; i++) {
      const mark = i === n && process.env.BENCH_MARK === '1';
      if (mark) fs.writeSync(2, '<bench-mark>');
      const w0 = process.hrtime.bigint();
      const obj = await lib.openObject(abs);
      await obj.load();
      const link = await obj.structOps.get(mapName).attach();
      const w1 = process.hrtime.bigint();
      if (mark) fs.writeSync(2, '<bench-mark>');
      last = Number(w1 - w0) / 1e6;
      await settle(link.close());
      await settle(obj.close());
    }
    process.stdout.write(JSON.stringify({ mode, ms: last }) + '\n');
    return;
  }
  let t0;
  let t1;
  let t2;
  if (mode === 'btf') {
    t0 = process.hrtime.bigint();
    const btf = await settle(lib.loadKernelBtf());
    const type = await settle(btf.findByName('tcp_congestion_ops', 'struct'));
    t1 = process.hrtime.bigint();
    if (type == null) throw new Error('tcp_congestion_ops not found in kernel BTF');
  } else if (mode === 'load' && file && mapName) {
    const abs = path.resolve(file);
    const profile = await startProfile();
    t0 = process.hrtime.bigint();
    const obj = await lib.openObject(abs);
    await obj.load();
    const map = obj.structOps.get(mapName);
    if (!map) throw new Error(`struct_ops map ${mapName} not found in ${file}`);
    const link = await map.attach();
    t1 = process.hrtime.bigint();
    await profile.stop();
    await settle(link.close());
    await settle(obj.close());
    t2 = process.hrtime.bigint();
  } else {
    process.stderr.write('usage: ours.js btf | load FILE MAP | require | warm FILE MAP N\n');
    process.exit(2);
  }
  const ms = (a, b) => Number(b - a) / 1e6;
  const out = t2 === undefined ? { mode, ms: ms(t0, t1) } : { mode, ms: ms(t0, t2), attach_ms: ms(t0, t1), close_ms: ms(t1, t2) };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  // one line, so bench.sh can quote it; BENCH_DEBUG=1 for the stack
  const msg = err && err.message ? err.message.split('\n')[0] : String(err);
  process.stderr.write(`ours.js: ${msg}\n`);
  if (process.env.BENCH_DEBUG && err && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
