'use strict';
/**
 * Jest setup file of the rule-deletion check's baseline run: with STRUCT_OPS_RULE_TRACE=FILE,
 * every rule site that fires appends "<site>\t<test file>" to FILE. A site that never fires
 * cannot change any test's outcome when deleted, and one that fires needs only the test
 * files it fired in to be run again with it deleted.
 */
const fs = require('node:fs');

const trace = process.env.STRUCT_OPS_RULE_TRACE;
if (trace) {
  const seen = new Set();
  // Opened up front (a test may use up every free fd for a moment: rules-unregister-races),
  // once per worker process: node:fs is the one object every test file's context shares.
  const key = Symbol.for('struct-ops.rule-trace-fd');
  const fd = (fs[key] ??= fs.openSync(trace, 'a'));
  globalThis.__structOpsRuleFired = (id) => {
    const testPath = globalThis.expect?.getState?.().testPath ?? '';
    const line = `${id}\t${testPath}`;
    if (seen.has(line)) return;
    seen.add(line);
    fs.writeSync(fd, `${line}\n`);
  };
}
