#!/usr/bin/env node
'use strict';
/**
 * Rule-deletion check (issue 14): deletes each rejection rule of lib/ once and runs the
 * tests, which must fail. A rule is a `throw` of a fresh error (scripts/rule-deletion/
 * sites.js); it is deleted at run time (STRUCT_OPS_RULE_OFF=<site>) by a Jest transformer,
 * so no file is edited and the tree stays as it is.
 *
 *   node scripts/rule-deletion.js [--files lib/a.ts,lib/b/] [--scope test/unit] [--jobs 2]
 *                                 [--out FILE.jsonl] [--timeout SECONDS]
 *
 * For each site: first the test files that import the site's file (or its folder's index)
 * by path, then, if none failed, every test file of the scope (--scope, default test/unit;
 * kernel tests need root and the kernel lock). Jest runs with --bail, so a caught rule
 * costs one failing file. Verdicts: caught (with the first failing test file), survived
 * (no test failed: the rule has no test), timeout (the run took longer than --timeout, also
 * a failure of the tests, reported apart). Prints a summary and one line per survivor;
 * --out keeps one JSON line per site. A baseline run with no rule deleted must pass first.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ruleSites } = require('./rule-deletion/sites');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const o = { files: ['lib/'], scope: 'test/unit', jobs: 2, out: undefined, timeout: 300 };
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
    else throw new Error(`unknown option ${a} (see the header of scripts/rule-deletion.js)`);
  }
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error('--jobs must be a positive integer');
  if (!(o.timeout > 0)) throw new Error('--timeout must be a positive number of seconds');
  return o;
}

function listTs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

function libFiles(selectors) {
  const all = listTs(path.join(ROOT, 'lib')).map((f) => path.relative(ROOT, f));
  return all.filter((f) => selectors.some((s) => (s.endsWith('/') ? f.startsWith(s) : f === s)));
}

/** Test files of the scope whose text names the site's file or its folder by import path. */
function directTests(libFile, scopeTests) {
  const noExt = libFile.replace(/\.ts$/, '');
  const names = [noExt];
  if (path.basename(noExt) === 'index') names.push(path.dirname(noExt));
  return scopeTests.filter((t) => {
    const text = fs.readFileSync(path.join(ROOT, t), 'utf8');
    return names.some((n) => {
      const rel = path.relative(path.dirname(t), n).replace(/\\/g, '/');
      const spec = rel.startsWith('.') ? rel : `./${rel}`;
      return text.includes(`'${spec}'`) || text.includes(`"${spec}"`);
    });
  });
}

function jestConfig(cacheDir) {
  const base = require(path.join(ROOT, 'jest.config.js'));
  return {
    ...base,
    rootDir: ROOT,
    cacheDirectory: cacheDir,
    transform: { '^.+\\.ts$': [path.join(__dirname, 'rule-deletion', 'transform.js'), { diagnostics: false }] },
  };
}

/**
 * Runs Jest over `tests` with `site` deleted; resolves { failed, firstFailure, timedOut }.
 * The first failure is read from Jest's own "FAIL file" / "● test" lines (with --bail Jest
 * exits before writing a --json report).
 */
function runJest(configFile, tests, site, timeoutS, bail = true) {
  return new Promise((resolve) => {
    const env = { ...process.env, STRUCT_OPS_RULE_OFF: site ?? '' };
    const args = [require.resolve('jest/bin/jest'), '--config', configFile, ...(bail ? ['--bail'] : []), '--ci', '--runTestsByPath', ...tests];
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
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
  const files = libFiles(opts.files);
  const sites = files.flatMap((f) => ruleSites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')).map((s) => ({ ...s, file: f })));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-deletion-'));
  const configFile = path.join(work, 'jest.config.json');
  fs.writeFileSync(configFile, JSON.stringify(jestConfig(path.join(work, 'cache'))));
  const out = opts.out ? fs.openSync(opts.out, 'w') : undefined;
  try {
    process.stderr.write(`rule-deletion: ${sites.length} rule sites in ${files.length} files; scope ${opts.scope} (${scopeTests.length} test files); baseline run...\n`);
    // A test file that fails with no rule deleted cannot tell anything: it is left out (and
    // named), e.g. the unprivileged tests of a checkout that user cannot reach.
    const base = await runJest(configFile, scopeTests, undefined, opts.timeout * 4, false);
    if (base.timedOut || (base.failed && base.failedFiles.length === 0)) throw new Error('the baseline run (no rule deleted) did not finish; see npx jest ' + opts.scope);
    for (const f of base.failedFiles) process.stderr.write(`rule-deletion: left out ${f}: it fails with no rule deleted\n`);
    scopeTests = scopeTests.filter((t) => !base.failedFiles.includes(t));
    const results = [];
    let next = 0;
    const worker = async () => {
      while (next < sites.length) {
        const s = sites[next++];
        const direct = directTests(s.file, scopeTests);
        let r = direct.length > 0 ? await runJest(configFile, direct, s.id, opts.timeout) : { failed: false };
        if (!r.failed) r = await runJest(configFile, scopeTests, s.id, opts.timeout);
        const verdict = r.timedOut ? 'timeout' : r.failed ? 'caught' : 'survived';
        const row = { site: s.id, rule: s.text, verdict, caughtBy: r.firstFailure ?? null };
        results.push(row);
        if (out !== undefined) fs.writeSync(out, JSON.stringify(row) + '\n');
        process.stderr.write(`${results.length}/${sites.length} ${verdict.padEnd(8)} ${s.id}${r.firstFailure ? `  <- ${r.firstFailure}` : ''}\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.jobs, sites.length) }, worker));
    const count = (v) => results.filter((r) => r.verdict === v).length;
    console.log(`rule-deletion: ${results.length} rules, ${count('caught')} caught, ${count('timeout')} timeout, ${count('survived')} survived (scope ${opts.scope})`);
    for (const r of results.filter((x) => x.verdict === 'survived').sort((a, b) => a.site.localeCompare(b.site, 'en', { numeric: true }))) {
      console.log(`survived ${r.site}  ${r.rule}`);
    }
    process.exitCode = count('survived') > 0 ? 1 : 0;
  } finally {
    if (out !== undefined) fs.closeSync(out);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`rule-deletion: ${err.message}`);
  process.exit(2);
});
