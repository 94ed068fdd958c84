#!/usr/bin/env node
'use strict';
/**
 * Rule-deletion check (issue 14): deletes each rejection rule of lib/ once and runs the
 * tests, which must fail. A rule is a `throw` of a fresh error (scripts/rule-deletion/
 * sites.js); it is deleted at run time (STRUCT_OPS_RULE_OFF=<site>) by a Jest transformer,
 * so no file is edited and the tree stays as it is.
 *
 *   node scripts/rule-deletion.js [--files lib/a.ts,lib/b/] [--scope test/unit] [--jobs 2]
 *                                 [--out FILE.jsonl] [--timeout SECONDS] [--lock FILE]
 *                                 [--from FILE.jsonl [--verdicts untested,survived]]
 *                                 [--bundles]
 *
 * --from takes the sites of an earlier --out whose verdict is one of --verdicts (e.g. the
 * rules no unit test covers, to try them against test/kernel); --lock runs every Jest under
 * `flock FILE` (the kernel tests' lock, held one run at a time).
 *
 * First a baseline run of every test file of the scope (--scope: a directory, default
 * test/unit, or test files separated by commas; kernel tests need root and the kernel lock)
 * with no rule deleted records which test files make each site fire (tracer.js); files that
 * fail there are left out. A site that never fires is `untested`: deleting it cannot change
 * any outcome. A site that fires is deleted and only the files it fired in run again (Jest
 * --bail): `caught` (with the first failing test), `survived` (the tests reach the rule but do
 * not notice it is gone), or `timeout` (the run took longer than --timeout, a failure too,
 * reported apart). Prints a summary and one line per untested or surviving rule; --out keeps
 * one JSON line per site.
 *
 * Tests that run dist/ in child processes (the CLI tests; --bundles, the default for a scope
 * under test/cli) need the rules deleted there too: dist/'s bundles are rebuilt instrumented
 * first (scripts/build-bundles.js --instrument-rules, rules/bundles.js) and rebuilt normally at
 * the end, and the baseline runs one test file at a time, so that a site firing in a child
 * (which cannot know its test file) is put down to the file named in its environment.
 *
 * A deleted rule can sit on a test's cleanup path and leave kernel state behind (a
 * registration pinned in a test's own /sys/fs/bpf directory), which would fail every later
 * run using the same names. With --lock, each run ends, still under the lock, with
 * rule-deletion/restore-kernel.js: test pin directories of dead processes are removed and
 * struct_ops maps registered since the check began are unregistered; a row's `restored` says
 * what was. Mounts and network namespaces are not restored: check `findmnt -t bpf` and
 * `ip netns` after a run.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ruleSites } = require('./rule-deletion/sites');
const { listTs } = require('./check-rooms');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const o = { files: ['lib/'], scope: 'test/unit', jobs: 2, out: undefined, timeout: 300, lock: undefined, from: undefined, verdicts: ['untested', 'survived'], bundles: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--files') o.files = v().split(',').filter(Boolean);
    else if (a === '--scope') o.scope = v();
    else if (a === '--jobs') o.jobs = Number(v());
    else if (a === '--out') o.out = v();
    else if (a === '--timeout') o.timeout = Number(v());
    else if (a === '--lock') o.lock = v();
    else if (a === '--from') o.from = v();
    else if (a === '--verdicts') o.verdicts = v().split(',').filter(Boolean);
    else if (a === '--bundles') o.bundles = true;
    else throw new Error(`unknown option ${a} (see the header of scripts/rule-deletion.js)`);
  }
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error('--jobs must be a positive integer');
  if (!(o.timeout > 0)) throw new Error('--timeout must be a positive number of seconds');
  if (o.bundles === undefined) o.bundles = o.scope.replace(/\/$/, '').split('/').slice(0, 2).join('/') === 'test/cli';
  return o;
}

function libFiles(selectors) {
  const all = listTs(path.join(ROOT, 'lib')).map((f) => path.relative(ROOT, f));
  return all.filter((f) => selectors.some((s) => (s.endsWith('/') ? f.startsWith(s) : f === s)));
}

function jestConfig(cacheDir) {
  const base = require(path.join(ROOT, 'jest.config.js'));
  return {
    ...base,
    rootDir: ROOT,
    cacheDirectory: cacheDir,
    transform: { '^.+\\.ts$': [path.join(__dirname, 'rule-deletion', 'transform.js'), { diagnostics: false }] },
    setupFilesAfterEnv: [...(base.setupFilesAfterEnv ?? []), path.join(__dirname, 'rule-deletion', 'tracer.js')],
  };
}

/**
 * Runs Jest over `tests` with `site` deleted; resolves { failed, firstFailure, timedOut }.
 * The first failure is read from Jest's own "FAIL file" / "● test" lines (with --bail Jest
 * exits before writing a --json report).
 */
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const pid of running) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    try { restoreBundles(); } catch { /* reported by build-bundles itself */ }
    process.exit(130);
  });
}

let lockFile;
// The struct_ops maps registered before the check started (restore-kernel.js snapshot).
let kernelIdsFile;
/** Where children run as nobody write their traces (see main). */
let childTraces = '';
let runs = 0;
// Puts dist/'s normal bundles back after an instrumented run (also on a signal).
let restoreBundles = () => {};

function runJest(configFile, tests, site, timeoutS, bail = true, trace = '') {
  return new Promise((resolve) => {
    // FUZZ_SAVE=0: a fuzz failure caused by a deleted rule is no regression input to keep.
    // STRUCT_OPS_RULE_TEST_FILE: the file a child process's fired sites are put down to.
    const testFile = tests.length === 1 ? path.join(ROOT, tests[0]) : '';
    const env = { ...process.env, STRUCT_OPS_RULE_OFF: site ?? '', STRUCT_OPS_RULE_TRACE: trace, STRUCT_OPS_RULE_TRACE_CHILDREN: childTraces, STRUCT_OPS_RULE_TEST_FILE: testFile, FUZZ_SAVE: '0' };
    const jest = [process.execPath, require.resolve('jest/bin/jest'), '--config', configFile, ...(bail ? ['--bail'] : []), '--ci', '--runTestsByPath', ...tests];
    // Under the kernel lock, the kernel is put back before the lock is let go (restore-kernel.js).
    const restoreLog = lockFile ? `${configFile}.restore.${++runs}` : undefined;
    const [cmd, ...args] = lockFile
      ? ['flock', lockFile, 'sh', '-c', '"$@"; rc=$?; node "$RULE_RESTORE" restore "$RULE_RESTORE_IDS" > "$RULE_RESTORE_LOG"; exit $rc', 'sh', ...jest]
      : jest;
    if (restoreLog) Object.assign(env, { RULE_RESTORE: path.join(__dirname, 'rule-deletion', 'restore-kernel.js'), RULE_RESTORE_IDS: kernelIdsFile, RULE_RESTORE_LOG: restoreLog });
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    running.add(child.pid);
    let file;
    let test;
    const failedFiles = [];
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop();
      for (const line of lines) {
        const f = /^FAIL (\S+)/.exec(line);
        if (f) failedFiles.push(f[1]);
        if (f && file === undefined) file = f[1];
        const t = /^ {2}● (.+)$/.exec(line);
        if (t && test === undefined && file !== undefined) test = t[1].trim();
      }
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutS * 1000);
    child.on('close', (code) => {
      running.delete(child.pid);
      clearTimeout(timer);
      const firstFailure = file === undefined ? undefined : `${file}${test ? ` > ${test}` : ''}`;
      let restored = [];
      try {
        if (restoreLog && timedOut) {
          // Killed with its shell: the restore that would have followed it runs now.
          const r = require('node:child_process').spawnSync('flock', [lockFile, process.execPath, path.join(__dirname, 'rule-deletion', 'restore-kernel.js'), 'restore', kernelIdsFile], { encoding: 'utf8' });
          restored = JSON.parse(r.stdout);
        } else if (restoreLog) {
          restored = JSON.parse(fs.readFileSync(restoreLog, 'utf8'));
        }
      } catch { /* no report: the next run's restore does it */ }
      resolve({ failed: code !== 0 || timedOut, firstFailure, timedOut, failedFiles, restored });
    });
  });
}

/** Rebuilds dist/'s bundles, instrumented or normal (scripts/build-bundles.js). */
function buildBundles(instrumented) {
  const r = require('node:child_process').spawnSync(process.execPath, [path.join(__dirname, 'build-bundles.js'), ...(instrumented ? ['--instrument-rules'] : [])], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build-bundles.js${instrumented ? ' --instrument-rules' : ''} failed`);
}

/** The baseline (no rule deleted) over `tests`: one Jest run, or one per file (--bundles). */
async function baseline(configFile, tests, opts, traceFile) {
  if (!opts.bundles) return runJest(configFile, tests, undefined, opts.timeout * 4, false, traceFile);
  const failedFiles = [];
  for (const t of tests) {
    const r = await runJest(configFile, [t], undefined, opts.timeout, false, traceFile);
    for (const what of r.restored) process.stderr.write(`rule-deletion: ${t} with no rule deleted left the kernel changed: ${what}\n`);
    if (r.timedOut) return r;
    if (r.failed) failedFiles.push(...(r.failedFiles.length > 0 ? r.failedFiles : [t]));
  }
  return { failed: failedFiles.length > 0, timedOut: false, failedFiles };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  // A scope is a directory of tests or a comma-separated list of test files.
  let scopeTests = opts.scope.split(',').filter(Boolean).flatMap((s) => {
    const p = path.join(ROOT, s);
    return fs.statSync(p).isDirectory() ? listTs(p) : [p];
  }).filter((f) => f.endsWith('.test.ts')).map((f) => path.relative(ROOT, f));
  if (scopeTests.length === 0) throw new Error(`no test files under ${opts.scope}`);
  lockFile = opts.lock;
  const files = libFiles(opts.files);
  let sites = files.flatMap((f) => ruleSites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')).map((s) => ({ ...s, file: f })));
  if (opts.from !== undefined) {
    const wanted = new Set(fs.readFileSync(opts.from, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((r) => opts.verdicts.includes(r.verdict)).map((r) => r.site));
    sites = sites.filter((s) => wanted.has(s.id));
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-deletion-'));
  // Children run as nobody (the unprivileged tests) record their sites in files of their own
  // here: the work directory may be searched by others, this one written (sticky: no one
  // removes another's file). A forged line can only make a rule look reached, so run more.
  childTraces = path.join(work, 'children');
  fs.chmodSync(work, 0o711);
  fs.mkdirSync(childTraces);
  fs.chmodSync(childTraces, 0o1733);
  const configFile = path.join(work, 'jest.config.json');
  fs.writeFileSync(configFile, JSON.stringify(jestConfig(path.join(work, 'cache'))));
  const out = opts.out ? fs.openSync(opts.out, 'w') : undefined;
  if (lockFile) {
    kernelIdsFile = path.join(work, 'kernel-before.json');
    const snap = require('node:child_process').spawnSync('flock', [lockFile, process.execPath, path.join(__dirname, 'rule-deletion', 'restore-kernel.js'), 'snapshot'], { encoding: 'utf8' });
    if (snap.status !== 0) throw new Error(`cannot read the kernel's struct_ops maps: ${snap.stderr}`);
    fs.writeFileSync(kernelIdsFile, snap.stdout);
  }
  if (opts.bundles) {
    process.stderr.write('rule-deletion: building instrumented bundles in dist/ (rebuilt normally at the end)\n');
    buildBundles(true);
    restoreBundles = () => buildBundles(false);
  }
  try {
    process.stderr.write(`rule-deletion: ${sites.length} rule sites in ${files.length} files; scope ${opts.scope} (${scopeTests.length} test files); baseline run...\n`);
    // A test file that fails with no rule deleted cannot tell anything: it is left out (and
    // named), e.g. the unprivileged tests of a checkout that user cannot reach.
    const traceFile = path.join(work, 'fired.tsv');
    fs.writeFileSync(traceFile, '');
    const base = await baseline(configFile, scopeTests, opts, traceFile);
    if (base.timedOut || (base.failed && base.failedFiles.length === 0)) throw new Error('the baseline run (no rule deleted) did not finish; see npx jest ' + opts.scope);
    for (const f of base.failedFiles) process.stderr.write(`rule-deletion: left out ${f}: it fails with no rule deleted\n`);
    scopeTests = scopeTests.filter((t) => !base.failedFiles.includes(t));
    const firedIn = new Map();
    const traces = [traceFile, ...fs.readdirSync(childTraces).map((f) => path.join(childTraces, f))];
    for (const line of traces.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'))) {
      const [id, testPath] = line.split('\t');
      if (!id || !testPath) continue;
      const rel = path.relative(ROOT, testPath);
      if (!scopeTests.includes(rel)) continue;
      if (!firedIn.has(id)) firedIn.set(id, new Set());
      firedIn.get(id).add(rel);
    }
    const results = [];
    const record = (s, verdict, caughtBy, tests, restored = []) => {
      // restored: what the run left in the kernel and restore-kernel.js removed.
      const row = { site: s.id, rule: s.text, verdict, caughtBy: caughtBy ?? null, firedIn: tests, ...(restored.length > 0 ? { restored } : {}) };
      results.push(row);
      if (out !== undefined) fs.writeSync(out, JSON.stringify(row) + '\n');
      process.stderr.write(`${results.length}/${sites.length} ${verdict.padEnd(8)} ${s.id}${caughtBy ? `  <- ${caughtBy}` : ''}\n`);
    };
    const fired = [];
    for (const s of sites) {
      if (firedIn.has(s.id)) fired.push(s);
      else record(s, 'untested', undefined, []);
    }
    let next = 0;
    const worker = async () => {
      while (next < fired.length) {
        const s = fired[next++];
        const tests = [...firedIn.get(s.id)].sort();
        const r = await runJest(configFile, tests, s.id, opts.timeout);
        record(s, r.timedOut ? 'timeout' : r.failed ? 'caught' : 'survived', r.firstFailure, tests, r.restored);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.jobs, fired.length) }, worker));
    // A lib/ file edited during the check shifts the site ids the transformer sees (a
    // deleted id then deletes nothing: "survived") and makes dist/ stale for child-process
    // tests (which then fail: "caught"): such a run's verdicts cannot be trusted.
    const edited = files.filter((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > startedAt);
    for (const f of edited) process.stderr.write(`rule-deletion: warning: ${f} changed during the check; run it again\n`);
    const count = (v) => results.filter((r) => r.verdict === v).length;
    console.log(`rule-deletion: ${results.length} rules, ${count('caught')} caught, ${count('timeout')} timeout, ${count('survived')} survived, ${count('untested')} untested (scope ${opts.scope})`);
    for (const r of results.filter((x) => x.verdict === 'survived' || x.verdict === 'untested').sort((a, b) => a.site.localeCompare(b.site, 'en', { numeric: true }))) {
      console.log(`${r.verdict} ${r.site}  ${r.rule}`);
    }
    process.exitCode = count('survived') + count('untested') > 0 ? 1 : 0;
  } finally {
    if (out !== undefined) fs.closeSync(out);
    fs.rmSync(work, { recursive: true, force: true });
    restoreBundles();
  }
}

main().catch((err) => {
  console.error(`rule-deletion: ${err.message}`);
  process.exit(2);
});
