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
 *
 * --from takes the sites of an earlier --out whose verdict is one of --verdicts (e.g. the
 * rules no unit test covers, to try them against test/kernel); --lock runs every Jest under
 * `flock FILE` (the kernel tests' lock, held one run at a time).
 *
 * First a baseline run of every test file of the scope (--scope, default test/unit; kernel
 * tests need root and the kernel lock) with no rule deleted records which test files make
 * each site fire (tracer.js); files that fail there are left out. A site that never fires is
 * `untested`: deleting it cannot change any outcome. A site that fires is deleted and only
 * the files it fired in run again (Jest --bail): `caught` (with the first failing test),
 * `survived` (the tests reach the rule but do not notice it is gone), or `timeout` (the run
 * took longer than --timeout, a failure too, reported apart). Prints a summary and one line
 * per untested or surviving rule; --out keeps one JSON line per site.
 *
 * With --scope test/kernel, a deleted rule can sit on a test's cleanup path and leave kernel
 * state behind (a registration pinned in a test's own bpffs, a mount): check
 * `bpftool struct_ops show`, `findmnt -t bpf` and `ip netns` after such a run.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ruleSites } = require('./rule-deletion/sites');
const { listTs } = require('./check-rooms');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const o = { files: ['lib/'], scope: 'test/unit', jobs: 2, out: undefined, timeout: 300, lock: undefined, from: undefined, verdicts: ['untested', 'survived'] };
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
    else throw new Error(`unknown option ${a} (see the header of scripts/rule-deletion.js)`);
  }
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error('--jobs must be a positive integer');
  if (!(o.timeout > 0)) throw new Error('--timeout must be a positive number of seconds');
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
    process.exit(130);
  });
}

let lockFile;

function runJest(configFile, tests, site, timeoutS, bail = true, trace = '') {
  return new Promise((resolve) => {
    // FUZZ_SAVE=0: a fuzz failure caused by a deleted rule is no regression input to keep.
    const env = { ...process.env, STRUCT_OPS_RULE_OFF: site ?? '', STRUCT_OPS_RULE_TRACE: trace, FUZZ_SAVE: '0' };
    const jest = [process.execPath, require.resolve('jest/bin/jest'), '--config', configFile, ...(bail ? ['--bail'] : []), '--ci', '--runTestsByPath', ...tests];
    const [cmd, ...args] = lockFile ? ['flock', lockFile, ...jest] : jest;
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
      resolve({ failed: code !== 0 || timedOut, firstFailure, timedOut, failedFiles });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let scopeTests = listTs(path.join(ROOT, opts.scope)).filter((f) => f.endsWith('.test.ts')).map((f) => path.relative(ROOT, f));
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
  const configFile = path.join(work, 'jest.config.json');
  fs.writeFileSync(configFile, JSON.stringify(jestConfig(path.join(work, 'cache'))));
  const out = opts.out ? fs.openSync(opts.out, 'w') : undefined;
  try {
    process.stderr.write(`rule-deletion: ${sites.length} rule sites in ${files.length} files; scope ${opts.scope} (${scopeTests.length} test files); baseline run...\n`);
    // A test file that fails with no rule deleted cannot tell anything: it is left out (and
    // named), e.g. the unprivileged tests of a checkout that user cannot reach.
    const traceFile = path.join(work, 'fired.tsv');
    fs.writeFileSync(traceFile, '');
    const base = await runJest(configFile, scopeTests, undefined, opts.timeout * 4, false, traceFile);
    if (base.timedOut || (base.failed && base.failedFiles.length === 0)) throw new Error('the baseline run (no rule deleted) did not finish; see npx jest ' + opts.scope);
    for (const f of base.failedFiles) process.stderr.write(`rule-deletion: left out ${f}: it fails with no rule deleted\n`);
    scopeTests = scopeTests.filter((t) => !base.failedFiles.includes(t));
    const firedIn = new Map();
    for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
      const [id, testPath] = line.split('\t');
      if (!id || !testPath) continue;
      const rel = path.relative(ROOT, testPath);
      if (!scopeTests.includes(rel)) continue;
      if (!firedIn.has(id)) firedIn.set(id, new Set());
      firedIn.get(id).add(rel);
    }
    const results = [];
    const record = (s, verdict, caughtBy, tests) => {
      const row = { site: s.id, rule: s.text, verdict, caughtBy: caughtBy ?? null, firedIn: tests };
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
        record(s, r.timedOut ? 'timeout' : r.failed ? 'caught' : 'survived', r.firstFailure, tests);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.jobs, fired.length) }, worker));
    const count = (v) => results.filter((r) => r.verdict === v).length;
    console.log(`rule-deletion: ${results.length} rules, ${count('caught')} caught, ${count('timeout')} timeout, ${count('survived')} survived, ${count('untested')} untested (scope ${opts.scope})`);
    for (const r of results.filter((x) => x.verdict === 'survived' || x.verdict === 'untested').sort((a, b) => a.site.localeCompare(b.site, 'en', { numeric: true }))) {
      console.log(`${r.verdict} ${r.site}  ${r.rule}`);
    }
    process.exitCode = count('survived') + count('untested') > 0 ? 1 : 0;
  } finally {
    if (out !== undefined) fs.closeSync(out);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`rule-deletion: ${err.message}`);
  process.exit(2);
});
