'use strict';
// Last step of `npm run build:ts` (called by scripts/build-bundles.js): writes the V8 code
// cache of each bundle beside it (X.js.v8cache), which lib/loader uses when it is trusted
// (the format and the checks are in lib/loader/code-cache.ts; docs/startup.md has figures).
//
// The library's cache is made after a warm-up that walks the kernel's struct_ops maps (what
// `show` and `unregister` do first) and opens and plans the loads of two controllers
// (test/fixtures/bpf/reno.bpf.o and cubic.bpf.o, when they are there), and as root also
// loads them, then closes them without attaching: V8 then saves the code of every function
// that ran, which a cold open+load would otherwise compile one by one. Nothing is
// registered and nothing outlives the warm-up process (its fds are all it holds); its
// kernel BTF index goes to a temporary directory, never /run/struct-ops. Command bundles
// are cached as compiled and initialised. Each cache is for this Node (version, V8, arch): another
// runtime ignores it. A failure here leaves the bundles usable without caches.
//
//   node scripts/build-code-cache.js --child OUTDIR   (what buildCodeCaches runs)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const WARM_OBJECTS = ['reno.bpf.o', 'cubic.bpf.o'].map((f) => path.join(ROOT, 'test', 'fixtures', 'bpf', f));

function bundlesOf(out) {
  const cli = path.join(out, 'cli');
  const commands = fs.existsSync(cli) ? fs.readdirSync(cli).filter((f) => /^command-[a-z-]+\.js$/.test(f)).map((f) => path.join(cli, f)) : [];
  return [path.join(out, 'bundle', 'index.js'), ...commands.sort()];
}

/** Builds every cache in a fresh process (so only the bundles' own code is in them). */
function buildCodeCaches(out) {
  for (const stale of bundlesOf(out)) fs.rmSync(`${stale}.v8cache`, { force: true });
  const index = fs.mkdtempSync(path.join(os.tmpdir(), 'struct-ops-code-cache-'));
  try {
    const env = { ...process.env, STRUCT_OPS_BTF_CACHE: index };
    // First a kernel BTF index, so the warm-up runs the indexed lookups a cold process runs.
    spawnSync(process.execPath, ['-e', 'try { require(process.argv[1]).loadKernelBtf(); } catch {}', path.join(out, 'bundle', 'index.js')],
      { env, stdio: 'ignore' });
    const r = spawnSync(process.execPath, [__filename, '--child', out], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) process.stderr.write(`build-code-cache: no code caches (exit ${r.status ?? r.signal}); the bundles work without them\n`);
  } finally {
    fs.rmSync(index, { recursive: true, force: true });
  }
}

async function child(out) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const loader = require(path.join(out, 'loader'));
  for (const file of bundlesOf(out)) {
    const script = new vm.Script(loader.wrapModuleSource(fs.readFileSync(file, 'utf8')), { filename: file });
    const mod = new Module(file);
    mod.filename = file;
    script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
    if (file.endsWith(path.join('bundle', 'index.js'))) await warmUp(mod.exports);
    const bytes = loader.encodeCodeCache(fs.statSync(file, { bigint: true }), script.createCachedData());
    const tmp = `${file}.v8cache.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes, { mode: 0o644 });
    fs.renameSync(tmp, `${file}.v8cache`);
  }
}

async function warmUp(lib) {
  // What `show` and `unregister NAME` run before they find anything: the walk of the
  // kernel's struct_ops maps (read-only; EPERM without privileges, then skipped).
  for (const step of [() => lib.listStructOps(), () => lib.findRegistrations({ name: 'struct-ops-warm' }), () => lib.listStructOpsTypes()]) {
    try {
      step();
    } catch {
      // Not allowed here, or (findRegistrations) nothing of that name: what ran is cached.
    }
  }
  for (const object of WARM_OBJECTS) {
    if (!fs.existsSync(object)) continue;
    try {
      const obj = await lib.openObject(object);
      try {
        obj.planLoad();
        // As root, the load itself too: the object's BTF, maps and programs go into the
        // kernel and are released by close() below (nothing is attached, so nothing is
        // registered, and a killed build leaves nothing: the fds die with it).
        if (process.geteuid?.() === 0) await obj.load();
      } finally {
        obj.close();
      }
    } catch {
      // No kernel BTF here (a build container), or the kernel refused: the cache holds what ran so far.
    }
  }
}

if (require.main === module && process.argv[2] === '--child' && process.argv[3]) {
  child(path.resolve(process.argv[3])).catch((err) => {
    process.stderr.write(`build-code-cache: ${err && err.message}\n`);
    process.exit(1);
  });
}

module.exports = { buildCodeCaches };
