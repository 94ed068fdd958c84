#!/usr/bin/env node
/**
 * Host side of scripts/vm-test: reads one VM's console log, prints each failed test with its
 * message, then the kernel's CI line `vm-test: kernel R (ARCH): N passed, M failed`, and
 * appends {kernel, arch, passed, failed, skipped, seconds} as a JSON line to SUMMARY_FILE.
 * A VM that printed no summary (boot failure, crash, timeout) counts one extra failure,
 * except a timeout with VMTEST_SOFT_TIMEOUT=1 (scripts/vm-test --best-effort): that is
 * reported as skipped ("too slow here") and counts nothing.
 *
 * Usage: node results.js CONSOLE_LOG LABEL ARCH WALL_SECONDS EXIT_STATUS SUMMARY_FILE
 */
'use strict';
const { appendFileSync, readFileSync } = require('node:fs');

const [logPath, label, arch, wall, exitStatus, summaryFile] = process.argv.slice(2);
const text = readFileSync(logPath, 'latin1');

const results = [];
const notes = [];
let summary;
// Kernel messages may share a line with ours: find the marker anywhere in the line.
for (const line of text.split(/\r?\n/)) {
  const at = line.indexOf('@@vmtest ');
  if (at < 0) continue;
  const rest = line.slice(at + 9);
  const space = rest.indexOf(' ');
  const tag = rest.slice(0, space);
  const body = rest.slice(space + 1);
  if (tag === 'note') {
    notes.push(body);
    continue;
  }
  try {
    const data = JSON.parse(body);
    if (tag === 'result') results.push(data);
    else if (tag === 'summary') summary = data;
  } catch {
    notes.push(`unreadable ${tag} line (${body.length} bytes)`);
  }
}

const kernel = summary?.release ?? /booted (\S+)/.exec(notes.join('\n'))?.[1] ?? label;
const out = (s) => process.stdout.write(`${s}\n`);
// Notes were streamed live by scripts/vm-test.
for (const r of results.filter((x) => x.status === 'failed')) {
  out(`vm-test: [${label}] FAILED ${r.file} > ${r.name}`);
  for (const l of String(r.message ?? '').split('\n').slice(0, 30)) out(`vm-test: [${label}]     ${l}`);
}

let passed;
let failed;
let skipped;
let why = '';
if (summary) {
  ({ passed, failed, skipped } = summary);
  if (summary.error) why = `; ${summary.error}`;
} else if (process.env.VMTEST_SOFT_TIMEOUT === '1' && (exitStatus === '124' || exitStatus === '137')) {
  out(`vm-test: kernel ${kernel} (${arch}) skipped: timed out after ${wall} s (best effort: too slow on this host)`);
  appendFileSync(summaryFile, `${JSON.stringify({ label, kernel, arch, passed: 0, failed: 0, skipped: 'timeout', seconds: Number(wall) })}\n`);
  process.exit(0);
} else {
  passed = results.filter((r) => r.status === 'passed').length;
  skipped = results.filter((r) => r.status !== 'passed' && r.status !== 'failed').length;
  failed = results.filter((r) => r.status === 'failed').length + 1;
  why = exitStatus === '124' || exitStatus === '137' ? `; timed out after ${wall} s` : `; no summary from the VM (qemu exit ${exitStatus})`;
  out(`vm-test: [${label}] last console lines:`);
  for (const l of text.split(/\r?\n/).slice(-40)) out(`vm-test: [${label}]   ${l}`);
}
const tests = summary ? ` (tests ${summary.seconds} s, VM ${wall} s${skipped ? `, ${skipped} skipped` : ''}${why})` : ` (VM ${wall} s${why})`;
out(`vm-test: kernel ${kernel} (${arch}): ${passed} passed, ${failed} failed${tests}`);
appendFileSync(summaryFile, `${JSON.stringify({ label, kernel, arch, passed, failed, skipped, seconds: Number(wall) })}\n`);
process.exit(failed === 0 ? 0 : 1);
