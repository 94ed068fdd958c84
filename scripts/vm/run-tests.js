#!/usr/bin/env node
/**
 * Runs inside the test VM (started by scripts/vm/init): Jest over the compiled kernel tests,
 * then one "@@vmtest result {...}" line per test and a final "@@vmtest summary {...}" on
 * stdout (the serial console), which scripts/vm/results.js reads on the host.
 * Arguments: test path patterns (Jest regexes); none runs every kernel test.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { relative } = require('node:path');
const os = require('node:os');

const REPORT = '/tmp/jest-report.json';
/** Longest failure message printed per test; the console is slow and the host log finite. */
const MAX_MESSAGE = 3000;

const mark = (tag, data) => process.stdout.write(`@@vmtest ${tag} ${typeof data === 'string' ? data : JSON.stringify(data)}\n`);

const started = Date.now();
const jest = spawnSync(process.execPath, [
  require.resolve('jest/bin/jest'), '--config', `${__dirname}/jest.config.js`, '--ci', '--json',
  `--outputFile=${REPORT}`, ...process.argv.slice(2),
], { stdio: 'inherit' });
const seconds = Math.round((Date.now() - started) / 1000);

let report;
try {
  report = JSON.parse(readFileSync(REPORT, 'utf8'));
} catch (err) {
  // Jest died (e.g. a signal): the kernel log may say why.
  const dmesg = spawnSync('dmesg', { encoding: 'utf8' }).stdout ?? '';
  for (const line of dmesg.trimEnd().split('\n').slice(-25)) mark('note', line);
  const how = jest.signal ? `signal ${jest.signal}` : `exit ${jest.status}`;
  mark('summary', { passed: 0, failed: 1, skipped: 0, seconds, error: `no Jest report (${how}): ${err.message}` });
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of report.testResults) {
  const file = relative('/app', suite.name);
  if (suite.status === 'failed' && !suite.assertionResults.some((t) => t.status === 'failed')) {
    // The file did not load (syntax error, throwing import) or a hook (afterAll) failed:
    // one failure, with Jest's message.
    failed++;
    mark('result', { file, name: '(test file or hook failed)', status: 'failed', message: String(suite.message).slice(0, MAX_MESSAGE) });
  }
  for (const t of suite.assertionResults) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
    else skipped++;
    const message = t.status === 'failed' ? t.failureMessages.join('\n').slice(0, MAX_MESSAGE) : undefined;
    mark('result', { file, name: t.fullName, status: t.status, ms: t.duration ?? undefined, message });
  }
}
if (jest.status !== 0 && failed === 0) {
  failed = 1;
  mark('result', { file: '', name: '(jest exited non-zero)', status: 'failed', message: `exit ${jest.status}` });
}
mark('summary', { passed, failed, skipped, seconds, release: os.release(), arch: os.machine?.() ?? process.arch });
